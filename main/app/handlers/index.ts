import type { Handlers } from '../dispatcher.js';
import type { Services } from '../services.js';
import { appHandlers } from './app.js';

/** Every contract method's handler. Each domain contributes its own file in this folder. */
export function createHandlers(services: Services): Handlers {
  return {
    ...appHandlers(services),
  };
}
