import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import dicomParser from 'dicom-parser';
import { scratchDir } from './paths.js';
import { freeLoopbackPort } from './ports.js';

/**
 * A real Orthanc (Debian's package) per test file: generated config in a scratch folder,
 * authentication on, remote access off, random free HTTP and DICOM ports.
 *
 * Orthanc 1.10 has no bind-address option: it listens on every interface. Tests therefore use
 * random ports; a clinic must firewall the HTTP port (and restrict who may C-STORE, e.g. with
 * `DicomModalities` + `DicomAlwaysAllowStore: false`) — see the ingest notes in docs.
 */
export interface OrthancServer {
  /** http://127.0.0.1:PORT (no credentials). */
  readonly url: string;
  readonly httpPort: number;
  readonly dicomPort: number;
  readonly aet: string;
  readonly username: string;
  readonly password: string;
  /** The folder holding config, storage, index and the log. */
  readonly dir: string;
  /** Stops Orthanc (SIGTERM, then waits for exit). Storage and index stay, so `start` resumes. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and storage. */
  start(): Promise<void>;
  /** Stops it and wipes its database and storage: a "reset" Orthanc on the same ports. */
  reset(): Promise<void>;
  /** Sends DICOM files by C-STORE, as an X-ray unit does. */
  storescu(files: string | string[], options?: StorescuOptions): Promise<void>;
}

export interface StorescuOptions {
  /** The calling AE title (what the sensor calls itself). Default CUSPTEST. */
  callingAet?: string;
  /** The called AE title; defaults to Orthanc's own. */
  calledAet?: string;
  /** An explicit storescu proposal flag (e.g. `-xy`); by default chosen from each file's transfer syntax. */
  syntaxFlag?: string;
}

const gdcmPlugin = '/usr/share/orthanc/plugins/libOrthancGdcm.so';
const execFileAsync = promisify(execFile);

/** A free TCP port on loopback (kept under this name for the files that import it from here). */
export { freeLoopbackPort as freePort } from './ports.js';

export async function startOrthanc(options: { aet?: string } = {}): Promise<OrthancServer> {
  const dir = scratchDir('orthanc');
  const aet = options.aet ?? 'CUSPORTHANC';
  const username = 'cusp';
  const password = randomBytes(12).toString('hex');
  const httpPort = await freeLoopbackPort();
  let dicomPort = await freeLoopbackPort();
  while (dicomPort === httpPort) dicomPort = await freeLoopbackPort();
  const configPath = join(dir, 'orthanc.json');
  const writeConfig = async () => {
    await mkdir(join(dir, 'storage'), { recursive: true });
    await mkdir(join(dir, 'index'), { recursive: true });
    const config = {
      Name: 'cusp-test',
      StorageDirectory: join(dir, 'storage'),
      IndexDirectory: join(dir, 'index'),
      HttpPort: httpPort,
      DicomPort: dicomPort,
      DicomAet: aet,
      DicomCheckCalledAet: true,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: true,
      RegisteredUsers: { [username]: password },
      HttpServerEnabled: true,
      SaveJobs: false,
      StorageCompression: false,
      Plugins: existsSync(gdcmPlugin) ? [gdcmPlugin] : [],
    };
    await writeFile(configPath, JSON.stringify(config, null, 2));
  };
  await writeConfig();

  let child: ChildProcess | null = null;
  const url = `http://127.0.0.1:${httpPort}`;
  const authorization = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');

  const start = async () => {
    if (child) return;
    const logFd = openSync(join(dir, 'orthanc.log'), 'a');
    const proc = spawn('/usr/sbin/Orthanc', [configPath], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    child = proc;
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`Orthanc exited with ${code}; see ${join(dir, 'orthanc.log')}`))),
    );
    exited.catch(() => undefined);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const response = await Promise.race([fetch(`${url}/system`, { headers: { authorization } }), exited]);
        if (response.ok) return;
      } catch (error) {
        if (proc.exitCode !== null) throw error;
      }
      if (Date.now() > deadline) throw new Error(`Orthanc did not answer on ${url} within 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async () => {
    const proc = child;
    if (!proc) return;
    child = null;
    if (proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const server: OrthancServer = {
    url,
    httpPort,
    dicomPort,
    aet,
    username,
    password,
    dir,
    start,
    stop,
    async reset() {
      await stop();
      const { rm } = await import('node:fs/promises');
      await rm(join(dir, 'storage'), { recursive: true, force: true });
      await rm(join(dir, 'index'), { recursive: true, force: true });
      await writeConfig();
    },
    async storescu(files, opts = {}) {
      const list = Array.isArray(files) ? files : [files];
      // One association per proposal flag, files in the order given within it.
      const groups = new Map<string | null, string[]>();
      for (const file of list) {
        const flag = opts.syntaxFlag ?? storescuFlag(await transferSyntaxOf(file));
        groups.set(flag, [...(groups.get(flag) ?? []), file]);
      }
      for (const [flag, group] of groups) {
        const args = [
          ...(flag ? [flag] : []),
          '-aet', opts.callingAet ?? 'CUSPTEST',
          '-aec', opts.calledAet ?? aet,
          '127.0.0.1', String(dicomPort), ...group,
        ];
        try {
          await execFileAsync('storescu', args, { timeout: 300_000 });
        } catch (error) {
          const e = error as { stderr?: string; message: string };
          throw new Error(`storescu (${group.length} files) failed: ${e.stderr || e.message}`);
        }
      }
    },
  };
  await start();
  return server;
}

/**
 * The transfer syntax UID in a file's meta header, or implicit little endian for files without
 * one (ACR-NEMA style datasets, which storescu sends as implicit VR).
 */
export async function transferSyntaxOf(file: string): Promise<string> {
  const bytes = new Uint8Array(await readFile(file));
  try {
    const dataSet = dicomParser.parseDicom(bytes, { untilTag: 'x00020010' });
    return dataSet.string('x00020010')?.trim() || '1.2.840.10008.1.2';
  } catch {
    return '1.2.840.10008.1.2';
  }
}

/** storescu's proposal flag for a transfer syntax (null: the default uncompressed proposals). */
export function storescuFlag(transferSyntax: string): string | null {
  const flags: Record<string, string | null> = {
    '1.2.840.10008.1.2': null,
    '1.2.840.10008.1.2.1': null,
    '1.2.840.10008.1.2.2': '-xb',
    '1.2.840.10008.1.2.1.99': '-xd',
    '1.2.840.10008.1.2.4.50': '-xy',
    '1.2.840.10008.1.2.4.51': '-xx',
    '1.2.840.10008.1.2.4.70': '-xs',
    '1.2.840.10008.1.2.4.80': '-xt',
    '1.2.840.10008.1.2.4.81': '-xu',
    '1.2.840.10008.1.2.4.90': '-xv',
    '1.2.840.10008.1.2.4.91': '-xw',
    '1.2.840.10008.1.2.5': '-xr',
  };
  if (!(transferSyntax in flags)) {
    throw new Error(`storescu has no proposal flag for transfer syntax ${transferSyntax}`);
  }
  return flags[transferSyntax] ?? null;
}
