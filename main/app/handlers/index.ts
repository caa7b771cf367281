import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { appHandlers } from './app.js';
import { adminHandlers } from './admin.js';
import { annotationHandlers } from './annotations.js';
import { imagingHandlers } from './imaging.js';
import { patientHandlers } from './patients.js';
import { practiceHandlers } from './practice.js';
import { scheduleHandlers } from './schedule.js';
import { treatmentHandlers } from './treatment.js';

/** Every contract method's handler. Each domain contributes its own file in this folder. */
export function createHandlers(services: Services): Handlers {
  return {
    ...appHandlers(services),
    ...practiceHandlers(services),
    ...patientHandlers(services),
    ...scheduleHandlers(services),
    ...treatmentHandlers(services),
    ...imagingHandlers(services),
    ...annotationHandlers(services),
    ...adminHandlers(services),
  };
}
