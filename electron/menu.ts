import type { MenuItemConstructorOptions } from 'electron';
import type { Language } from '../contract/index.js';

/** What the menu's own items do; everything else is a built-in role. */
export interface MenuActions {
  openConsultDisplay(): void;
  openDocs(): void;
  showAbout(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Developer tools item (unpackaged builds only). */
  devTools: boolean;
}

type LabelKey =
  | 'app' | 'file' | 'edit' | 'view' | 'window' | 'help'
  | 'about' | 'hide' | 'hideOthers' | 'showAll' | 'quit' | 'closeWindow'
  | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll'
  | 'reload' | 'devTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'fullScreen'
  | 'minimize' | 'zoomWindow' | 'front' | 'consultDisplay' | 'docs';

/**
 * Every label, in both languages: built-in roles get our label too, so the menu never mixes
 * the operating system's language with the one the practice chose.
 */
export const menuLabels: Record<Language, Record<LabelKey, string>> = {
  en: {
    app: 'Cusp', file: 'File', edit: 'Edit', view: 'View', window: 'Window', help: 'Help',
    about: 'About Cusp', hide: 'Hide Cusp', hideOthers: 'Hide Others', showAll: 'Show All', quit: 'Quit Cusp',
    closeWindow: 'Close Window',
    undo: 'Undo', redo: 'Redo', cut: 'Cut', copy: 'Copy', paste: 'Paste', selectAll: 'Select All',
    reload: 'Reload', devTools: 'Developer Tools', resetZoom: 'Actual Size', zoomIn: 'Zoom In', zoomOut: 'Zoom Out',
    fullScreen: 'Toggle Full Screen',
    minimize: 'Minimize', zoomWindow: 'Zoom', front: 'Bring All to Front',
    consultDisplay: 'Consultation Display', docs: 'Documentation',
  },
  fr: {
    app: 'Cusp', file: 'Fichier', edit: 'Édition', view: 'Affichage', window: 'Fenêtre', help: 'Aide',
    about: 'À propos de Cusp', hide: 'Masquer Cusp', hideOthers: 'Masquer les autres', showAll: 'Tout afficher',
    quit: 'Quitter Cusp', closeWindow: 'Fermer la fenêtre',
    undo: 'Annuler', redo: 'Rétablir', cut: 'Couper', copy: 'Copier', paste: 'Coller', selectAll: 'Tout sélectionner',
    reload: 'Recharger', devTools: 'Outils de développement', resetZoom: 'Taille réelle', zoomIn: 'Zoom avant',
    zoomOut: 'Zoom arrière', fullScreen: 'Plein écran',
    minimize: 'Réduire', zoomWindow: 'Agrandir', front: 'Tout ramener au premier plan',
    consultDisplay: 'Écran de consultation', docs: 'Documentation',
  },
};

/** The application menu for one language (built again when the language changes). */
export function menuTemplate(language: Language, actions: MenuActions, options: MenuOptions): MenuItemConstructorOptions[] {
  const t = menuLabels[language];
  const mac = options.platform === 'darwin';
  const separator: MenuItemConstructorOptions = { type: 'separator' };

  const appMenu: MenuItemConstructorOptions = {
    label: t.app,
    submenu: [
      { label: t.about, click: () => actions.showAbout() },
      separator,
      { label: t.hide, role: 'hide' },
      { label: t.hideOthers, role: 'hideOthers' },
      { label: t.showAll, role: 'unhide' },
      separator,
      { label: t.quit, role: 'quit' },
    ],
  };
  const fileMenu: MenuItemConstructorOptions = {
    label: t.file,
    submenu: mac ? [{ label: t.closeWindow, role: 'close' }] : [{ label: t.closeWindow, role: 'close' }, { label: t.quit, role: 'quit' }],
  };
  const editMenu: MenuItemConstructorOptions = {
    label: t.edit,
    submenu: [
      { label: t.undo, role: 'undo' },
      { label: t.redo, role: 'redo' },
      separator,
      { label: t.cut, role: 'cut' },
      { label: t.copy, role: 'copy' },
      { label: t.paste, role: 'paste' },
      { label: t.selectAll, role: 'selectAll' },
    ],
  };
  const viewMenu: MenuItemConstructorOptions = {
    label: t.view,
    submenu: [
      { label: t.reload, role: 'reload' },
      ...(options.devTools ? [{ label: t.devTools, role: 'toggleDevTools' } as const] : []),
      separator,
      { label: t.resetZoom, role: 'resetZoom' },
      { label: t.zoomIn, role: 'zoomIn' },
      { label: t.zoomOut, role: 'zoomOut' },
      separator,
      { label: t.fullScreen, role: 'togglefullscreen' },
    ],
  };
  const windowMenu: MenuItemConstructorOptions = {
    label: t.window,
    submenu: [
      { label: t.minimize, role: 'minimize' },
      ...(mac ? [{ label: t.zoomWindow, role: 'zoom' } as const] : []),
      separator,
      { label: t.consultDisplay, click: () => actions.openConsultDisplay() },
      ...(mac ? [separator, { label: t.front, role: 'front' } as const] : []),
    ],
  };
  const helpMenu: MenuItemConstructorOptions = {
    label: t.help,
    role: 'help',
    submenu: [
      { label: t.docs, click: () => actions.openDocs() },
      ...(mac ? [] : [separator, { label: t.about, click: () => actions.showAbout() }]),
    ],
  };
  return [...(mac ? [appMenu] : []), fileMenu, editMenu, viewMenu, windowMenu, helpMenu];
}
