import { join } from 'node:path';
import { freeLoopbackPort } from './ports.js';
import { repoRoot, scratchDir } from './paths.js';
import { serviceProcess, type ServiceProcess } from './service-process.js';

/**
 * A real Azurite blob service (3.35) per test file, on a free loopback port with its own folder.
 * `--skipApiVersionCheck` because the SDK speaks a newer API version than Azurite knows.
 * Account `devstoreaccount1` with Azurite's published development key.
 */
export interface AzuriteServer extends ServiceProcess {
  /** Blob service URL for the account: http://127.0.0.1:PORT/devstoreaccount1 */
  readonly endpoint: string;
  readonly port: number;
  readonly account: string;
  readonly accountKey: string;
  readonly dir: string;
}

export const azuriteAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export async function startAzurite(): Promise<AzuriteServer> {
  const dir = scratchDir('azurite');
  const port = await freeLoopbackPort();
  const script = join(repoRoot, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
  const proc = serviceProcess(
    'azurite',
    [script, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', join(dir, 'data'), '--disableTelemetry', '--skipApiVersionCheck', '--silent'],
    port,
    join(dir, 'azurite.log'),
  );
  await proc.start();
  return Object.assign(proc, {
    endpoint: `http://127.0.0.1:${port}/devstoreaccount1`,
    port,
    account: 'devstoreaccount1',
    accountKey: azuriteAccountKey,
    dir,
  });
}
