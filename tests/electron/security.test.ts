// Pins down what a page can reach: no navigation away from cusp://app, no new windows, no
// <webview>, no browser permissions, and external links only to allow-listed https hosts.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const openExternal = vi.hoisted(() => vi.fn(async (_url: string) => {}));
vi.mock('electron', () => ({ shell: { openExternal } }));

import type { WebContents } from 'electron';
import { docsUrl } from '../../electron/config.js';
import {
  allowedExternalLink,
  guardPermissions,
  guardWebContents,
  isAppUrl,
  type GuardedContents,
  type PermissionSession,
} from '../../electron/security.js';

type Listener = (event: { url: string; preventDefault(): void }) => void;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = {
    on(name: string, listener: Listener) {
      listeners.set(name, listener);
      return contents;
    },
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      openHandler = handler;
    },
  };
  guardWebContents(contents as unknown as GuardedContents);
  /** Fires `name` for `url`; true when the guard cancelled it. */
  const fire = (name: string, url: string): boolean => {
    const listener = listeners.get(name);
    if (!listener) throw new Error(`no ${name} listener`);
    let prevented = false;
    listener({ url, preventDefault: () => (prevented = true) });
    return prevented;
  };
  const open = (url: string) => openHandler!({ url });
  return { fire, open, listeners };
}

beforeEach(() => openExternal.mockClear());

describe('app origin and external links', () => {
  it('recognises only cusp://app as the app', () => {
    expect(isAppUrl('cusp://app/')).toBe(true);
    expect(isAppUrl('cusp://app/patients/42')).toBe(true);
    expect(isAppUrl('cusp://evil/')).toBe(false);
    expect(isAppUrl('https://app/')).toBe(false);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });

  it('lets only https links to allow-listed hosts out, without credentials', () => {
    expect(allowedExternalLink(docsUrl)).toBe(docsUrl);
    const host = new URL(docsUrl).host;
    expect(allowedExternalLink(`http://${host}/x`)).toBeNull();
    expect(allowedExternalLink(`https://user:pw@${host}/x`)).toBeNull();
    expect(allowedExternalLink(`https://${host}.evil.example/x`)).toBeNull();
    expect(allowedExternalLink('https://evil.example/')).toBeNull();
    expect(allowedExternalLink('javascript:alert(1)')).toBeNull();
    expect(allowedExternalLink('file:///etc/passwd')).toBeNull();
  });
});

describe('guardWebContents', () => {
  it('cancels navigation and redirects away from the app, keeps it inside', () => {
    const { fire } = fakeContents();
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      expect(fire(name, 'https://evil.example/phish')).toBe(true);
      expect(fire(name, 'file:///etc/passwd')).toBe(true);
      expect(fire(name, 'cusp://other/')).toBe(true);
      expect(fire(name, 'cusp://app/schedule')).toBe(false);
    }
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('opens an allow-listed link in the system browser instead of navigating', () => {
    const { fire } = fakeContents();
    expect(fire('will-navigate', docsUrl)).toBe(true);
    // Electron also fires will-frame-navigate for the top frame: the link must open only once.
    expect(fire('will-frame-navigate', docsUrl)).toBe(true);
    expect(fire('will-redirect', docsUrl)).toBe(true);
    expect(openExternal).toHaveBeenCalledExactlyOnceWith(docsUrl);
  });

  it('never opens a window; allow-listed links go to the system browser', () => {
    const { open } = fakeContents();
    expect(open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(open('cusp://app/consult')).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
    expect(open(docsUrl)).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledExactlyOnceWith(docsUrl);
  });

  it('refuses to attach a <webview>', () => {
    const { fire } = fakeContents();
    expect(fire('will-attach-webview', 'cusp://app/')).toBe(true);
  });
});

describe('guardPermissions', () => {
  function handlers(granted?: ReadonlySet<string>) {
    let request: ((contents: WebContents, permission: string, callback: (granted: boolean) => void) => void) | undefined;
    let check: ((contents: WebContents | null, permission: string, origin: string) => boolean) | undefined;
    const session = {
      setPermissionRequestHandler: (handler: typeof request) => (request = handler),
      setPermissionCheckHandler: (handler: typeof check) => (check = handler),
    };
    guardPermissions(session as unknown as PermissionSession, granted);
    const ask = (permission: string, url = 'cusp://app/') => {
      const callback = vi.fn();
      request!({ getURL: () => url } as WebContents, permission, callback);
      expect(callback).toHaveBeenCalledOnce();
      return callback.mock.calls[0]![0] as boolean;
    };
    return { ask, check: (permission: string, origin = 'cusp://app') => check!(null, permission, origin) };
  }

  it('denies every permission by default', () => {
    const { ask, check } = handlers();
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'fullscreen', 'openExternal', 'unknown']) {
      expect(ask(permission)).toBe(false);
      expect(check(permission)).toBe(false);
    }
  });

  it('grants a listed permission to the app only', () => {
    const { ask, check } = handlers(new Set(['fullscreen']));
    expect(ask('fullscreen')).toBe(true);
    expect(check('fullscreen')).toBe(true);
    expect(ask('fullscreen', 'https://evil.example/')).toBe(false);
    expect(check('fullscreen', 'https://evil.example')).toBe(false);
    expect(ask('media')).toBe(false);
  });
});
