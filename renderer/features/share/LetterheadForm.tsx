import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';

/** The practice's address and phone printed on every patient PDF (administrators only). */
export function LetterheadForm() {
  const { t } = useTranslation();
  const client = useCusp();
  const current = useCall('share.letterhead', {});
  const [address, setAddress] = useState('');
  const [phone, setPhone] = useState('');
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!current.value) return;
    setAddress(current.value.address ?? '');
    setPhone(current.value.phone ?? '');
  }, [current.value]);

  return (
    <details className="letterhead">
      <summary>{t('share.letterhead.title')}</summary>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          setError(null);
          client.call('share.setLetterhead', { address: address.trim() || null, phone: phone.trim() || null }).then(
            (next) => {
              current.setValue(next);
              setSaved(true);
            },
            setError,
          );
        }}
      >
        <p className="muted">{t('share.letterhead.lead', { name: current.value?.name ?? '' })}</p>
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
    </details>
  );
}
