import { join } from 'node:path';
import { freeLoopbackPort } from './ports.js';
import { repoRoot, scratchDir } from './paths.js';
import { serviceProcess, type ServiceProcess } from './service-process.js';

/**
 * A real S3-protocol server (s3rver 3.7) per test file, on a free loopback port with its own
 * folder. It checks that the access key exists (S3RVER) but not signatures, and lists every object
 * as STANDARD (HEAD has the real class). Bucket `cusp-test` exists from the start.
 */
export interface S3Server extends ServiceProcess {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly dir: string;
}

export async function startS3rver(): Promise<S3Server> {
  const dir = scratchDir('s3rver');
  const port = await freeLoopbackPort();
  const bucket = 'cusp-test';
  const script = join(repoRoot, 'node_modules', 's3rver', 'bin', 's3rver.js');
  const proc = serviceProcess(
    's3rver',
    [script, '-d', join(dir, 'data'), '-a', '127.0.0.1', '-p', String(port), '--silent', '--no-vhost-buckets', '--configure-bucket', bucket],
    port,
    join(dir, 's3rver.log'),
  );
  await proc.start();
  return Object.assign(proc, {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    region: 'ca-central-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    dir,
  });
}
