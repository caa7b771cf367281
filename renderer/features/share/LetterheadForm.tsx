import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../contract/index.js';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';

type Letterhead = MethodOutput<'share.letterhead'>;

/** The practice's address and phone printed on every patient PDF (administrators only). */
export function LetterheadForm() {
  const { t } = useTranslation();
  const current = useCall('share.letterhead', {});
  return (
    <details className="letterhead">
      <summary>{t('share.letterhead.title')}</summary>
      {/* The fields exist once the saved letterhead is read, so a late answer never replaces what was typed. */}
      {current.value ? (
        <LetterheadFields saved={current.value} onSaved={current.setValue} />
      ) : current.error !== null ? (
        <ErrorMessage error={current.error} />
      ) : (
        <p className="muted">{t('common.loading')}</p>
      )}
    </details>
  );
}

function LetterheadFields({ saved: initial, onSaved }: { saved: Letterhead; onSaved: (next: Letterhead) => void }) {
  const { t } = useTranslation();
  const client = useCusp();
  const [address, setAddress] = useState(initial.address ?? '');
  const [phone, setPhone] = useState(initial.phone ?? '');
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        setSaved(false);
        setError(null);
        client.call('share.setLetterhead', { address: address.trim() || null, phone: phone.trim() || null }).then(
          (next) => {
            onSaved(next);
            setSaved(true);
          },
          setError,
        );
      }}
    >
      <p className="muted">{t('share.letterhead.lead', { name: initial.name })}</p>
      <label>
        {t('share.letterhead.address')}
        <input value={address} maxLength={300} onChange={(event) => setAddress(event.target.value)} />
      </label>
      <label>
        {t('share.letterhead.phone')}
        <input value={phone} maxLength={40} onChange={(event) => setPhone(event.target.value)} />
      </label>
      <button type="submit">{t('share.letterhead.save')}</button>
      {saved && <span role="status">{t('share.letterhead.saved')}</span>}
      {error !== null && <ErrorMessage error={error} />}
    </form>
  );
}
