import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCusp } from '../../api/CuspProvider.js';
import { Modal } from '../common/Modal.js';
import { useAuth, useUser } from './AuthProvider.js';
import { SignInForm } from './SignInPage.js';

/** The header's user menu: who is signed in, switch user, lock, sign out. */
export function UserMenu() {
  const { t } = useTranslation();
  const client = useCusp();
  const { update } = useAuth();
  const user = useUser();
  const [open, setOpen] = useState(false);
  const [switching, setSwitching] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (event: PointerEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !root.current?.contains(event.target as Node)) setOpen(false);
    };
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', close);
    };
  }, [open]);

  if (!user) return null;
  const run = (method: 'auth.lock' | 'auth.signOut') => async () => {
    setOpen(false);
    update(await client.call(method, {}));
  };

  return (
    <div className="user-menu" ref={root}>
      <button type="button" className="user-button" aria-expanded={open} aria-haspopup="true" aria-controls="user-menu-items" onClick={() => setOpen(!open)}>
        <span className="user-name">{user.displayName}</span>
        <span className="user-role">{t(`roles.${user.role}`)}</span>
      </button>
      {open && (
        <ul className="user-menu-items" id="user-menu-items">
          <li>
            <button type="button" onClick={() => { setOpen(false); setSwitching(true); }}>
              {t('auth.switch.action')}
            </button>
          </li>
          <li>
            <button type="button" onClick={run('auth.lock')}>
              {t('auth.lock.action')}
            </button>
          </li>
          <li>
            <button type="button" onClick={run('auth.signOut')}>
              {t('auth.signOut')}
            </button>
          </li>
        </ul>
      )}
      {switching && (
        <Modal title={t('auth.switch.title')} onClose={() => setSwitching(false)}>
          <SignInForm onCancel={() => setSwitching(false)} onDone={() => setSwitching(false)} />
        </Modal>
      )}
    </div>
  );
}
