import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { openApp } from '../app/index.js';
import { AppError } from '../app/errors.js';
import { rendererDistDir } from '../app/paths.js';
import { createAppRoutes } from '../server/app-routes.js';
import { startHttpServer } from '../server/http.js';
import { dataOption } from './common.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run Cusp headless and serve the app on this machine only (127.0.0.1)')
    .addOption(dataOption())
    .addOption(new Option('--port <n>', 'port to listen on (0 picks a free one)').default(0).argParser(parsePort))
    .action(async (options: { data: string; port: number }) => {
      if (!existsSync(join(rendererDistDir, 'index.html'))) {
        throw new AppError('UNAVAILABLE', `the app is not built (${rendererDistDir} is missing): run \`npm run build\``);
      }
      const app = await openApp({ dataDir: options.data, publishHealth: true });
      const { routes, publicRoutes, close: closeRoutes } = createAppRoutes(app);
      const server = await startHttpServer({
        dispatch: app.dispatch,
        events: app.services.events,
        log: app.services.log,
        workstation: app.services.config.workstation,
        staticDir: rendererDistDir,
        port: options.port,
        resolveUser: app.resolveUser,
        routes,
        publicRoutes,
      });
      console.log(`Cusp is running at ${server.url}`);
      console.log('Open that address in a browser on this computer. Press Ctrl+C to stop.');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await closeRoutes();
      app.auth.close();
      await app.services.close();
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('INVALID_INPUT', `Expected a port between 0 and 65535 for --port but received ${value}`);
  }
  return port;
}
