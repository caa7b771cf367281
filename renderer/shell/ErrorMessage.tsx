import { useTranslation } from 'react-i18next';
import { ContractError, errorCodeSchema, type CallError } from '../../contract/errors.js';

/** Any failure as a contract error: what the contract sent, or INTERNAL for anything else. */
export function toCallError(error: unknown): CallError {
  if (error instanceof ContractError) return { code: error.code, message: error.message };
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const code = errorCodeSchema.safeParse(error.code);
    if (code.success) return { code: code.data, message: String(error.message) };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/**
 * A failed call shown as something a person can act on: the translated explanation for its
 * code, main's own message as detail (it names the field, or the reference to quote), and a
 * retry button when the caller can retry.
 */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  const { code, message } = toCallError(error);
  return (
    <div className="error-message" role="alert" data-code={code}>
      <p className="error-title">{t('errors.title')}</p>
      <p>{t(`errors.code.${code}`)}</p>
      {message && <p className="error-details">{t('errors.details', { message })}</p>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('errors.retry')}
        </button>
      )}
    </div>
  );
}
