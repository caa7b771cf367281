import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The per-user data folder, the same one Electron's app.getPath('userData') gives for "Cusp",
 * so the desktop app and the `cusp` command share one practice by default.
 */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CUSP_DATA_DIR) return env.CUSP_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Cusp');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Cusp');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Cusp');
}

/** The folder holding package.json, whether we run from sources (tsx, vitest) or from dist/. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'cusp') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json of cusp not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
})();

export const appVersion: string = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;

/** The built renderer (vite build output). */
export const rendererDistDir = join(packageRoot, 'dist', 'renderer');
