import type { App } from '../app/index.js';
import { createImageAccess } from '../app/image-access.js';
import { createImageExport } from '../app/image-export.js';
import { createShareService } from '../share/service.js';
import { createExportRoute } from './export.js';
import type { RouteHandler } from './http.js';
import { createImageRoute } from './images.js';
import { createShareDownloadRoute, createShareLinkRoute } from './share.js';
import { createAppUploads } from './upload.js';

export interface AppRoutes {
  /** Behind the per-run token and the signed-in session (the app's own pages ask for these). */
  routes: Record<string, RouteHandler>;
  /** Without the token: what a patient opens from a shared link. Only `cusp serve` mounts them. */
  publicRoutes: Record<string, RouteHandler>;
  /** Lets work started by a route (imports of uploaded files) finish. */
  close(): Promise<void>;
}

/**
 * Main's HTTP routes beside /rpc and /events, built once for a running app: `cusp serve` mounts
 * them on its loopback server and the desktop shell answers `cusp://app/…` with the same handlers
 * (electron/routes.ts), so both get the same bytes, checks and audit records.
 */
export function createAppRoutes(app: App): AppRoutes {
  const uploads = createAppUploads(app.services);
  const shares = createShareService(app.services);
  return {
    routes: {
      '/img/': createImageRoute({ ...createImageAccess(app.services), exportRoute: createExportRoute(createImageExport(app.services)) }),
      '/shares/': createShareDownloadRoute(shares),
      '/upload/': uploads.route,
    },
    publicRoutes: { '/share/': createShareLinkRoute(shares, app.services.config.workstation) },
    close: () => uploads.runner.close(),
  };
}
