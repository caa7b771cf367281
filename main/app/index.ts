import { createDispatcher, type Dispatch } from './dispatcher.js';
import { createHandlers } from './handlers/index.js';
import { openServices, type OpenServicesOptions, type Services } from './services.js';

export interface App {
  services: Services;
  dispatch: Dispatch;
}

/** Services plus the dispatcher over them: what every transport needs. */
export async function openApp(options: OpenServicesOptions): Promise<App> {
  const services = await openServices(options);
  const dispatch = createDispatcher(createHandlers(services), { log: services.log });
  return { services, dispatch };
}
