import { createOperatory, createProvider } from '../../db/repositories/schedule.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type SettingsHandlers = Pick<Handlers, 'settings.createOperatory' | 'settings.createProvider'>;

/** The practice set-up an administrator does after first run: chairs and providers. */
export function settingsHandlers(services: Services): SettingsHandlers {
  const db = () => services.database();
  return {
    'settings.createOperatory': async (input, ctx) => {
      const id = await createOperatory(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'operatory.create', { detail: { operatoryId: id } });
      return { id };
    },
    'settings.createProvider': async (input, ctx) => {
      const id = await createProvider(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'provider.create', { detail: { providerId: id, kind: input.kind } });
      return { id };
    },
  };
}
