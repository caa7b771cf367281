import { useEffect, useRef, type ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import type { Access } from '../../contract/index.js';
import { useCan } from '../features/auth/AuthProvider.js';
import { UserMenu } from '../features/auth/UserMenu.js';
import { useActivity } from '../features/auth/useActivity.js';
import { useSignedInLanguage } from '../features/settings/useSignedInLanguage.js';
import { InboxPage } from '../features/inbox/InboxPage.js';
import { PatientsRoute } from '../features/patients/PatientsRoute.js';
import { SchedulePage } from '../features/schedule/SchedulePage.js';
import { ForbiddenPage } from '../pages/ForbiddenPage.js';
import { NotFoundPage } from '../pages/NotFoundPage.js';
import { SettingsPage } from '../pages/SettingsPage.js';
import { BrandMark } from './BrandMark.js';
import { LanguageSwitch } from './LanguageSwitch.js';
import { hrefFor, useRoutePath } from './router.js';
import { StatusBar } from './StatusBar.js';

type NavKey = 'nav.patients' | 'nav.schedule' | 'nav.inbox' | 'nav.settings';

/**
 * The screens reachable from the navigation, in its order, with what a role needs to open them
 * (main refuses the calls anyway; this only keeps the menu to what the person can use).
 */
const routes: ReadonlyArray<{ path: string; label: NavKey; access: Access; Page: ComponentType }> = [
  { path: '/patients', label: 'nav.patients', access: 'demographics', Page: PatientsRoute },
  { path: '/schedule', label: 'nav.schedule', access: 'schedule', Page: SchedulePage },
  { path: '/inbox', label: 'nav.inbox', access: 'clinical', Page: InboxPage },
  { path: '/settings', label: 'nav.settings', access: 'signedIn', Page: SettingsPage },
];

/** Header, navigation, the current screen and the status bar. */
export function Shell() {
  const { t } = useTranslation();
  const path = useRoutePath();
  const can = useCan();
  useActivity(true);
  useSignedInLanguage();
  const bare = path.split('?')[0]!; // e.g. #/schedule?patient=<id> opens the schedule for that patient
  const route = routes.find((r) => bare === r.path || bare.startsWith(`${r.path}/`));
  const Page = !route ? NotFoundPage : can(route.access) ? route.Page : ForbiddenPage;
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    document.title = route ? `${t(route.label)} — ${t('app.name')}` : t('app.name');
  }, [route, t]);

  // After a navigation (not on first load), move the focus to the new page's title.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('#page-title')?.focus();
  }, [path]);

  return (
    <div className="shell">
      <button type="button" className="skip-link" onClick={() => main.current?.focus()}>
        {t('app.skipToContent')}
      </button>
      <header className="app-header">
        <div className="brand">
          <BrandMark />
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-tagline">{t('app.tagline')}</span>
        </div>
        <div className="header-tools">
          <LanguageSwitch />
          <UserMenu />
        </div>
      </header>
      <nav className="app-nav" aria-label={t('nav.label')}>
        <ul>
          {routes.filter((r) => can(r.access)).map((r) => (
            <li key={r.path}>
              <a href={hrefFor(r.path)} aria-current={r === route ? 'page' : undefined}>
                {t(r.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="app-main" id="main" ref={main} tabIndex={-1}>
        <Page />
      </main>
      <StatusBar />
    </div>
  );
}
