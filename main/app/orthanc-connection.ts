import type { OrthancTestResult } from '../../contract/index.js';
import { OrthancAuthError, OrthancClient, OrthancError, OrthancNotFoundError, OrthancProtocolError, OrthancUnreachableError } from '../orthanc/client.js';
import type { SecretStore } from '../storage/secrets.js';
import type { Config } from './config.js';

/** The secret holding Orthanc's password (Settings → Orthanc saves it; never config.json). */
export const orthancPasswordSecret = 'orthanc.password';

/**
 * Orthanc's password for this process: CUSP_ORTHANC_PASSWORD when set (headless agents, service
 * managers), otherwise the saved secret.
 */
export async function orthancPassword(secrets: SecretStore): Promise<string | undefined> {
  return process.env.CUSP_ORTHANC_PASSWORD || (await secrets.get(orthancPasswordSecret));
}

/** Client options from config.json's `orthanc` and the password above. */
export async function orthancClientOptions(
  orthanc: NonNullable<Config['orthanc']>,
  secrets: SecretStore,
): Promise<{ url: string; username?: string; password?: string }> {
  const password = await orthancPassword(secrets);
  return {
    url: orthanc.url,
    ...(orthanc.username ? { username: orthanc.username } : {}),
    ...(password ? { password } : {}),
  };
}

/** Calls `/system` once (no retries, 5 s) and says in words what went wrong. */
export async function testOrthanc(options: { url: string; username?: string; password?: string }): Promise<OrthancTestResult> {
  const client = new OrthancClient({ ...options, retries: 0, timeoutMs: 5000 });
  try {
    const system = await client.system();
    return { ok: true, name: system.Name, version: system.Version, aet: system.DicomAet };
  } catch (error) {
    if (error instanceof OrthancAuthError) {
      return { ok: false, problem: 'auth', message: `Orthanc refused the user name or password (HTTP ${error.status ?? 401}).` };
    }
    if (error instanceof OrthancUnreachableError) return { ok: false, problem: 'unreachable', message: error.message };
    if (error instanceof OrthancProtocolError || error instanceof OrthancNotFoundError) {
      return { ok: false, problem: 'notOrthanc', message: `Something answers at ${client.baseUrl}, but it is not Orthanc's REST API.` };
    }
    if (error instanceof OrthancError) return { ok: false, problem: 'http', message: error.message };
    return { ok: false, problem: 'unreachable', message: error instanceof Error ? error.message : String(error) };
  }
}
