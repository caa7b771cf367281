import { useTranslation } from 'react-i18next';
import type { ComponentHealth } from '../../contract/methods/app.js';
import { useCall, useConnectionState, useEvent } from '../api/CuspProvider.js';
import { ErrorMessage } from './ErrorMessage.js';

type Component = 'database' | 'store' | 'orthanc';
const components: readonly Component[] = ['database', 'store', 'orthanc'];

/**
 * The bottom bar: database, image store, Orthanc and ingest queue as main reports them —
 * asked once at start, then kept current by the `app.health` event. Each state is a word and
 * a colour, never a colour alone; main's explanation is in the tooltip.
 */
export function StatusBar() {
  const { t, i18n } = useTranslation();
  const connection = useConnectionState();
  const { value: health, error, reload, setValue } = useCall('app.health', {});
  useEvent('app.health', setValue);

  const label: Record<Component, string> = {
    database: t('status.database'),
    store: t('status.store'),
    orthanc: t('status.orthanc'),
  };
  const time = health ? new Date(health.checkedAt).toLocaleTimeString(i18n.language, { timeStyle: 'short' }) : '';

  return (
    <footer className="status-bar" aria-label={t('status.label')}>
      {error !== null && !health ? (
        <ErrorMessage error={error} onRetry={reload} />
      ) : (
        <ul className="status-items">
          {components.map((name) => (
            <StatusItem key={name} name={name} label={label[name]} health={health?.[name]} />
          ))}
          <li className="status-item" data-component="ingest">
            <span className="status-name">{t('status.ingest')}</span>
            <span className="status-value">
              {health ? t('status.queue', health.ingest) : t('status.checking')}
            </span>
          </li>
        </ul>
      )}
      <div className="status-summary">
        {health && (
          <span className={`status-overall status-${health.status}`} role="status" data-status={health.status}>
            {t(`status.overall.${health.status}`)}
          </span>
        )}
        <span className={`status-connection connection-${connection}`} data-connection={connection}>
          {t(`status.connection.${connection}`)}
        </span>
        {health && <span className="status-time">{t('status.checkedAt', { time })}</span>}
      </div>
    </footer>
  );
}

function StatusItem({ name, label, health }: { name: Component; label: string; health: ComponentHealth | undefined }) {
  const { t } = useTranslation();
  const state = health?.state;
  return (
    <li className={`status-item state-${state ?? 'pending'}`} data-component={name} data-state={state ?? 'pending'} title={health?.message}>
      <span className="status-dot" aria-hidden="true" />
      <span className="status-name">{label}</span>
      <span className="status-value">{state ? t(`status.state.${state}`) : t('status.checking')}</span>
    </li>
  );
}
