import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCusp } from '../../api/CuspProvider.js';
import { ErrorMessage } from '../../shell/ErrorMessage.js';
import { compareHref } from './links.js';
import './mounts.css';

/**
 * "Compare with previous" beside the viewer: main finds the patient's latest earlier image of the
 * same modality sharing a tooth (`imaging.previous`), and the compare screen opens with both.
 */
export function CompareWithPrevious({ patientId, imageId }: { patientId: string; imageId: string }) {
  const { t } = useTranslation();
  const client = useCusp();
  const [state, setState] = useState<{ kind: 'idle' | 'searching' | 'none' } | { kind: 'error'; error: unknown }>({ kind: 'idle' });
  const open = async () => {
    setState({ kind: 'searching' });
    try {
      const { image } = await client.call('imaging.previous', { imageId });
      if (!image) return setState({ kind: 'none' });
      setState({ kind: 'idle' });
      window.location.hash = compareHref(patientId, [image.id, imageId]);
    } catch (error) {
      setState({ kind: 'error', error });
    }
  };
  return (
    <span className="compare-previous">
      <button type="button" className="button" onClick={() => void open()} disabled={state.kind === 'searching'}>
        {t('mounts.compare.link')}
      </button>
      {state.kind === 'searching' && <span aria-live="polite"> {t('mounts.compare.searching')}</span>}
      {state.kind === 'none' && <span role="status"> {t('mounts.compare.noPrevious')}</span>}
      {state.kind === 'error' && <ErrorMessage error={state.error} />}
    </span>
  );
}
