import * as mounts from '../../db/repositories/mounts.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { audit, userOf } from './audit-support.js';

type MountHandlers = Pick<Handlers, 'mounts.forPatient' | 'mounts.create' | 'mounts.place' | 'mounts.delete' | 'imaging.previous'>;

/** Mounts and "compare with previous" (issue 7). Ids only in the audit detail, never names. */
export function mountHandlers(services: Services): MountHandlers {
  const db = () => services.database();
  return {
    'mounts.forPatient': async ({ patientId }, ctx) => ({ mounts: await mounts.mountsForPatient(db().knex, userOf(ctx).practiceId, patientId) }),
    'mounts.create': async (input, ctx) => {
      const user = userOf(ctx);
      const mount = await mounts.createMount(db(), user.practiceId, user.id, input);
      await audit(services, ctx, 'mount.create', { patientId: mount.patientId, detail: { mountId: mount.id, template: mount.template } });
      return mount;
    },
    'mounts.place': async (input, ctx) => {
      const { mount, before } = await mounts.placeImage(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'mount.place', {
        patientId: mount.patientId,
        imageId: input.imageId ?? before,
        detail: { mountId: mount.id, slot: input.slot, removed: input.imageId === null, replaced: before },
      });
      return mount;
    },
    'mounts.delete': async ({ id, version }, ctx) => {
      const { patientId } = await mounts.deleteMount(db(), userOf(ctx).practiceId, id, version);
      await audit(services, ctx, 'mount.delete', { patientId, detail: { mountId: id } });
      return { deleted: true as const };
    },
    'imaging.previous': async ({ imageId }, ctx) => {
      const image = await mounts.previousImage(db().knex, userOf(ctx).practiceId, imageId);
      await audit(services, ctx, 'images.list', { patientId: image?.patientId ?? null, imageId, detail: { previous: image?.id ?? null } });
      return { image };
    },
  };
}
