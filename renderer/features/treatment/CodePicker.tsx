import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { searchProcedureCodes, type ProcedureCode } from '../../../contract/cdt.js';

/** Search as you type over the procedure codes (code, French and English, accents ignored). */
export function CodePicker({ id, value, onChange }: { id: string; value: ProcedureCode | null; onChange: (code: ProcedureCode | null) => void }) {
  const { t, i18n } = useTranslation();
  const [query, setQuery] = useState('');
  const describe = (c: ProcedureCode) => (i18n.language === 'fr' ? c.fr : c.en);
  const other = (c: ProcedureCode) => (i18n.language === 'fr' ? c.en : c.fr);
  if (value) {
    return (
      <p className="chosen code-chosen" data-code={value.code}>
        <strong>{value.code}</strong> {describe(value)}{' '}
        <button type="button" className="link" onClick={() => onChange(null)}>
          {t('treatment.code.change')}
        </button>
      </p>
    );
  }
  const matches = query.trim() ? searchProcedureCodes(query, 12) : [];
  return (
    <div className="combo">
      <input
        id={id}
        type="search"
        className="code-search"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        placeholder={t('treatment.code.placeholder')}
        autoComplete="off"
      />
      {query.trim() && !matches.length && <p className="muted">{t('treatment.code.none')}</p>}
      {matches.length > 0 && (
        <ul className="combo-options code-options" aria-label={t('treatment.code.results')}>
          {matches.map((c) => (
            <li key={c.code}>
              <button
                type="button"
                data-code={c.code}
                onClick={() => {
                  onChange(c);
                  setQuery('');
                }}
              >
                <strong>{c.code}</strong> {describe(c)} <span className="muted">· {other(c)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
