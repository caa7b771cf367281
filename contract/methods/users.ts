import { z } from 'zod';
import { roleSchema } from '../access.js';
import { idSchema, versionSchema } from '../common.js';
import { defineMethods } from '../define.js';

export const userSchema = z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
  role: roleSchema,
  active: z.boolean(),
  version: versionSchema,
});
export type User = z.infer<typeof userSchema>;

export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(200);

export const userCreateSchema = z
  .object({
    username: z.string().trim().toLowerCase().regex(/^[a-z0-9._-]{2,40}$/, 'must be 2–40 letters, digits, dots, dashes or underscores'),
    displayName: z.string().trim().min(1).max(120),
    role: roleSchema,
    password: passwordSchema,
  })
  .strict();
export type UserCreate = z.output<typeof userCreateSchema>;

export const userMethods = defineMethods({
  'users.list': { input: z.object({}).strict(), output: z.object({ users: z.array(userSchema) }), access: 'admin' },
  'users.create': { input: userCreateSchema, output: userSchema, access: 'admin' },
  'users.update': {
    input: z.object({ id: idSchema, version: versionSchema, displayName: z.string().trim().min(1).max(120).optional(), role: roleSchema.optional(), active: z.boolean().optional() }).strict(),
    output: userSchema,
    access: 'admin',
  },
  'users.setPassword': { input: z.object({ id: idSchema, password: passwordSchema }).strict(), output: z.object({ ok: z.literal(true) }), access: 'admin' },
});
