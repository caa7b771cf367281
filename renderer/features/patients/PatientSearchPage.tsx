import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PatientSummary } from '../../../contract/index.js';
import { useCusp } from '../../api/CuspProvider.js';
import { PageHeading } from '../../pages/PlaceholderPage.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { formatDate, fullName, patientHref } from './format.js';

/** How long typing must pause before searching: fast typists do not send a query per key. */
const debounceMs = 150;

/**
 * Search as you type: words in any order, each the start of a name (accents and case do not
 * matter), a chart number, phone digits or a birth date — main's `patients.search` decides.
 */
export function PatientSearchPage() {
  const { t, i18n } = useTranslation();
  const client = useCusp();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ query: string; patients: PatientSummary[] } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setResults(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      client.call('patients.search', { query: text, limit: 50 }).then(
        ({ patients }) => current && (setError(null), setResults({ query: text, patients })),
        (failure: unknown) => current && setError(failure),
      );
    }, debounceMs);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, query]);

  return (
    <>
      <PageHeading title={t('patients.title')} lead={t('patients.lead')} />
      <div className="toolbar">
        <label className="search-box">
          <span className="visually-hidden">{t('patients.search.label')}</span>
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder={t('patients.search.placeholder')}
            aria-label={t('patients.search.label')}
          />
        </label>
        <a className="button primary" href="#/patients/new">
          {t('patients.new')}
        </a>
      </div>
      {error !== null && <ErrorMessage error={error} />}
      {!results && <p className="hint">{t('patients.search.hint')}</p>}
      {results && (
        <section aria-live="polite" aria-label={t('patients.search.results')}>
          <p className="result-count">{t('patients.search.count', { n: results.patients.length })}</p>
          {results.patients.length > 0 && (
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">{t('patients.field.name')}</th>
                  <th scope="col">{t('patients.field.chartNumber')}</th>
                  <th scope="col">{t('patients.field.birthDate')}</th>
                  <th scope="col">{t('patients.field.phone')}</th>
                </tr>
              </thead>
              <tbody>
                {results.patients.map((p) => (
                  <tr key={p.id} className={p.archived ? 'archived' : undefined}>
                    <td>
                      <a href={patientHref(p.id)}>{fullName(p)}</a>
                    </td>
                    <td className="path">{p.chartNumber}</td>
                    <td>{p.birthDate ? formatDate(p.birthDate, i18n.language) : '—'}</td>
                    <td>{p.phone ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
