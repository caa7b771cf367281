import { shell, type Session, type WebContents } from 'electron';
import { appHost, appScheme, externalLinkHosts, grantedPermissions } from './config.js';

/** Whether `url` is a page of the app itself (`cusp://app/…`). */
export function isAppUrl(url: string): boolean {
  const parsed = parseUrl(url);
  return parsed !== null && parsed.protocol === `${appScheme}:` && parsed.host === appHost;
}

/** The link to open in the system browser, or null: only https, only the allow-listed hosts, no credentials. */
export function allowedExternalLink(url: string, hosts: ReadonlySet<string> = externalLinkHosts): string | null {
  const parsed = parseUrl(url);
  if (!parsed || parsed.protocol !== 'https:' || parsed.username || parsed.password) return null;
  return hosts.has(parsed.host) ? parsed.toString() : null;
}

export type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;
export type OpenExternal = (url: string) => Promise<void>;

/**
 * Locks one webContents to the app (applied to every webContents the app creates):
 * - navigation and redirects to anything but `cusp://app` are cancelled; an allow-listed https
 *   link opens in the system browser instead;
 * - window.open and target=_blank never create a window (same allow-list for the browser);
 * - <webview> can never attach.
 */
export function guardWebContents(contents: GuardedContents, openExternal: OpenExternal = (url) => shell.openExternal(url)): void {
  const openIfAllowed = (url: string) => {
    const link = allowedExternalLink(url);
    if (link) openExternal(link).catch(() => undefined);
  };
  const keepInApp = (event: { url: string; preventDefault(): void }) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  };
  // The page itself following a link: an allow-listed one opens in the system browser instead.
  contents.on('will-navigate', (event) => {
    keepInApp(event);
    if (!isAppUrl(event.url)) openIfAllowed(event.url);
  });
  // Any frame (the top one too, after 'will-navigate'): cancel only, so a link opens once.
  contents.on('will-frame-navigate', keepInApp);
  contents.on('will-redirect', keepInApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openIfAllowed(url);
    return { action: 'deny' };
  });
}

export type PermissionSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>;

/** Refuses every permission a page asks for (camera, geolocation, notifications…) unless listed in config.ts. */
export function guardPermissions(session: PermissionSession, granted: ReadonlySet<string> = grantedPermissions): void {
  session.setPermissionRequestHandler((contents, permission, callback) => {
    callback(granted.has(permission) && isAppUrl(contents.getURL()));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => granted.has(permission) && isAppUrl(requestingOrigin));
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
