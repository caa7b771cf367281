/**
 * What the desktop shell trusts. Everything not listed here is refused: other origins, other
 * hosts for external links, every permission a page may ask for.
 */

/** The built renderer is served from this origin by the privileged `cusp://` protocol. */
export const appScheme = 'cusp';
export const appHost = 'app';
export const appOrigin = `${appScheme}://${appHost}`;

/** Where the consultation display's page lives (a client-side route of the renderer). */
export const consultUrl = `${appOrigin}/consult`;

/** The project's documentation, opened from Help → Documentation in the system browser. */
export const docsUrl = 'https://github.com/cusp-app/cusp#readme';

/** Hosts whose https links open in the system browser; any other link does nothing. */
export const externalLinkHosts: ReadonlySet<string> = new Set([new URL(docsUrl).host]);

/**
 * Permissions a page may be granted (camera, notifications, fullscreen…). None: the renderer
 * needs no browser permission today; add one here with the reason when a feature needs it.
 */
export const grantedPermissions: ReadonlySet<string> = new Set();
