// Pins down the application menu: every item is labelled in the practice's language (French or
// English, never a mix with the system's), and the Cusp items do what they say.
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { menuLabels, menuTemplate, type MenuActions } from '../../electron/menu.js';

const platforms = ['linux', 'win32', 'darwin'] as const;
/** Words that are the same in both languages. */
const sameInBoth = new Set(['Cusp', 'Documentation']);

function items(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? items(item.submenu) : [])]);
}
function actions(): MenuActions {
  return { openConsultDisplay: vi.fn(), openDocs: vi.fn(), showAbout: vi.fn() };
}
const find = (template: MenuItemConstructorOptions[], label: string) => items(template).find((item) => item.label === label);

describe('application menu', () => {
  it('has the same labels in both languages, each one translated', () => {
    expect(Object.keys(menuLabels.fr).sort()).toEqual(Object.keys(menuLabels.en).sort());
    for (const key of Object.keys(menuLabels.en) as Array<keyof typeof menuLabels.en>) {
      if (!sameInBoth.has(menuLabels.en[key])) expect(menuLabels.fr[key], key).not.toBe(menuLabels.en[key]);
    }
  });

  for (const platform of platforms) {
    for (const language of ['fr', 'en'] as const) {
      it(`labels every item in ${language} on ${platform}`, () => {
        const all = items(menuTemplate(language, actions(), { platform, devTools: true }));
        const known = new Set(Object.values(menuLabels[language]));
        const other = new Set(Object.values(menuLabels[language === 'fr' ? 'en' : 'fr']));
        for (const item of all) {
          if (item.type === 'separator') continue;
          expect(item.label, JSON.stringify(item.role)).toBeTruthy();
          expect(known.has(item.label!), item.label).toBe(true);
          if (!sameInBoth.has(item.label!)) expect(other.has(item.label!), item.label).toBe(false);
        }
      });
    }
  }

  it('offers the consultation display, documentation and about in French', () => {
    const handlers = actions();
    const template = menuTemplate('fr', handlers, { platform: 'linux', devTools: false });
    expect(template.map((item) => item.label)).toEqual(['Fichier', 'Édition', 'Affichage', 'Fenêtre', 'Aide']);
    find(template, 'Écran de consultation')!.click!({} as never, undefined, {} as never);
    find(template, 'Documentation')!.click!({} as never, undefined, {} as never);
    find(template, 'À propos de Cusp')!.click!({} as never, undefined, {} as never);
    expect(handlers.openConsultDisplay).toHaveBeenCalledOnce();
    expect(handlers.openDocs).toHaveBeenCalledOnce();
    expect(handlers.showAbout).toHaveBeenCalledOnce();
  });

  it('uses roles for edit, view and window items, and the macOS application menu', () => {
    const mac = menuTemplate('en', actions(), { platform: 'darwin', devTools: false });
    expect(mac[0]!.label).toBe('Cusp');
    const roles = items(mac).map((item) => item.role).filter(Boolean);
    expect(roles).toEqual(expect.arrayContaining(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll', 'reload', 'zoomIn', 'minimize', 'quit', 'front']));
    const windows = menuTemplate('en', actions(), { platform: 'win32', devTools: false });
    expect(windows.map((item) => item.label)).toEqual(['File', 'Edit', 'View', 'Window', 'Help']);
    expect(items(windows).some((item) => item.role === 'quit')).toBe(true);
  });

  it('shows developer tools only in unpackaged builds', () => {
    const hasDevTools = (devTools: boolean) =>
      items(menuTemplate('en', actions(), { platform: 'linux', devTools })).some((item) => item.role === 'toggleDevTools');
    expect(hasDevTools(false)).toBe(false);
    expect(hasDevTools(true)).toBe(true);
  });
});
