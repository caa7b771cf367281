import type { Auth } from '../../auth/service.js';
import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { appHandlers } from './app.js';
import { adminHandlers } from './admin.js';
import { authHandlers } from './auth.js';
import { annotationHandlers } from './annotations.js';
import { imagingHandlers } from './imaging.js';
import { ingestHandlers } from './ingest.js';
import { mountHandlers } from './mounts.js';
import { patientHandlers } from './patients.js';
import { practiceHandlers } from './practice.js';
import { scheduleHandlers } from './schedule.js';
import { settingsHandlers } from './settings.js';
import { treatmentHandlers } from './treatment.js';
import { consultHandlers } from './consult.js';
import { shareHandlers } from './share.js';

/** Every contract method's handler. Each domain contributes its own file in this folder. */
export function createHandlers(services: Services, auth: Auth): Handlers {
  return {
    ...appHandlers(services),
    ...authHandlers(auth),
    ...settingsHandlers(services),
    ...practiceHandlers(services),
    ...patientHandlers(services),
    ...scheduleHandlers(services),
    ...treatmentHandlers(services),
    ...imagingHandlers(services),
    ...ingestHandlers(services),
    ...mountHandlers(services),
    ...annotationHandlers(services),
    ...adminHandlers(services),
    ...consultHandlers(services, auth),
    ...shareHandlers(services),
  };
}
