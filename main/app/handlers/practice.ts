import { createDemoPractice, demoPassword } from '../../db/demo.js';
import { listPractices } from '../../db/repositories/practices.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit } from './audit-support.js';

export function practiceHandlers(services: Services): Pick<Handlers, 'practice.status' | 'practice.createDemo'> {
  return {
    'practice.status': async () => {
      const [practice] = await listPractices(services.database().knex);
      return { configured: practice !== undefined, practice: practice ?? null };
    },
    'practice.createDemo': async (_input, ctx) => {
      const summary = await createDemoPractice(services.database());
      await audit(services, { ...ctx, user: null }, 'practice.demo', { detail: { practiceId: summary.practice.id } });
      return { ...summary, password: demoPassword };
    },
  };
}
