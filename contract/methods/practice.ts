import { z } from 'zod';
import { idSchema } from '../common.js';
import { defineMethods } from '../define.js';

export const practiceStatusSchema = z.object({
  /** False on first run: the app shows the empty screen (set up a practice, or try the demo). */
  configured: z.boolean(),
  practice: z.object({ id: idSchema, name: z.string(), demo: z.boolean() }).nullable(),
});
export type PracticeStatus = z.infer<typeof practiceStatusSchema>;

export const practiceMethods = defineMethods({
  'practice.status': { input: z.object({}).strict(), output: practiceStatusSchema, access: 'public' },
  /**
   * The first-run screen's "Try the demo" button. Public because nobody can sign in before a
   * practice exists; refused with CONFLICT as soon as this database holds any practice.
   */
  'practice.createDemo': {
    input: z.object({}).strict(),
    output: z.object({
      practice: practiceStatusSchema.shape.practice.unwrap(),
      patients: z.number().int(),
      appointments: z.number().int(),
      plans: z.number().int(),
      users: z.array(z.object({ username: z.string(), role: z.string() })),
      password: z.string(),
    }),
    access: 'public',
  },
});
