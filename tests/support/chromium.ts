import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { repoRoot, scratchDir } from './paths.js';

/** Debian's Chromium (`apt-get install -y chromium`); CI installs the same package. */
export const chromiumPath = process.env.CUSP_CHROMIUM ?? '/usr/bin/chromium';

/** The flags that work on these machines (../shared/TOOLCHAIN.md): no sandbox, GPU, QUIC or background traffic. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile (no cookies or localStorage from another run). */
export async function launchChromium(options: BrowserContextOptions = {}): Promise<Chromium> {
  const userDataDir = scratchDir('chromium-profile');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Screenshots for people to review, e.g. `test-results/screenshots/shell-fr.png` (git-ignored). */
export function screenshotPath(name: string): string {
  const dir = join(repoRoot, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}
