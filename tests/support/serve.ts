import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratchDir } from './paths.js';

export interface ServeProcess {
  /** The printed URL, with the token: opening it sets the cookie. */
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  /** Everything the process printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs the real `node bin/cusp.js serve --port 0` on a scratch data folder, the way a person
 * would, and waits for the address it prints. Needs `npm run build` output (dist/main and
 * dist/renderer); `npm test` builds both first.
 */
export async function startServe(options: { dataDir?: string; timeoutMs?: number } = {}): Promise<ServeProcess> {
  for (const built of ['dist/main/cli/index.js', 'dist/renderer/index.html']) {
    if (!existsSync(join(repoRoot, built))) {
      throw new Error(`${built} is missing: run \`npm run build\` (tsc -b main electron && vite build) before these tests`);
    }
  }
  const dataDir = options.dataDir ?? scratchDir('serve');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'cusp.js'), 'serve', '--data', dataDir, '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no URL printed within ${options.timeoutMs ?? 30_000} ms`), options.timeoutMs ?? 30_000);
    const check = () => {
      const match = /Cusp is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    function fail(why: string) {
      clearTimeout(timer);
      stop(child).finally(() => reject(new Error(`cusp serve failed: ${why}\n${output}`)));
    }
    child.stdout.on('data', check);
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before printing its URL`));
  });

  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    dataDir,
    output: () => output,
    async stop() {
      await stop(child);
      await exited;
    },
  };
}

/** SIGTERM (cusp serve closes its server and services), SIGKILL if it has not exited in 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}
