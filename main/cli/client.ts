import { createClient, type CuspClient } from '../../contract/client.js';
import type { SessionUser } from '../app/context.js';
import { openApp } from '../app/index.js';
import type { OpenServicesOptions, Services } from '../app/services.js';
import { createMemoryTransport } from '../server/memory.js';

/**
 * CLI commands go through the same contract and dispatcher as the UI (in memory), so a command
 * can never do what the contract does not allow. `user` is who the command acts as (for audit).
 */
export async function openCliClient(
  options: OpenServicesOptions & { user?: SessionUser },
): Promise<{ client: CuspClient; services: Services; close(): Promise<void> }> {
  const app = await openApp(options);
  const ctx = () => ({
    transport: 'cli' as const,
    workstation: app.services.config.workstation,
    sessionId: `cli-${process.pid}`,
    user: options.user ?? null,
  });
  const client = createClient(createMemoryTransport(app.dispatch, app.services.events, ctx));
  return { client, services: app.services, close: () => app.services.close() };
}
