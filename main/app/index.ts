import { createAuth, endSessionsOnUserChange, type Auth } from '../auth/service.js';
import type { SessionUser } from './context.js';
import { createDispatcher, type Dispatch } from './dispatcher.js';
import { createHandlers } from './handlers/index.js';
import { openServices, type OpenServicesOptions, type Services } from './services.js';

export interface App {
  services: Services;
  dispatch: Dispatch;
  /** Sessions and sign-in (main/auth). */
  auth: Auth;
  /**
   * The signed-in user of a transport session, or null: every transport (IPC, HTTP) passes this
   * as its `resolveUser`, so a user is established one way whatever the caller came through.
   */
  resolveUser(sessionId: string): SessionUser | null;
}

/** Services plus the dispatcher over them: what every transport needs. */
export async function openApp(options: OpenServicesOptions): Promise<App> {
  const services = await openServices(options);
  const auth = createAuth(services);
  const dispatch = createDispatcher(endSessionsOnUserChange(createHandlers(services, auth), auth), {
    log: services.log,
    onForbidden: (method, ctx) => auth.auditRefusal(method, ctx),
  });
  return { services, dispatch, auth, resolveUser: auth.resolveUser };
}
