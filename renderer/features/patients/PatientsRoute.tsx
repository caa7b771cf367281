import { useRoutePath } from '../../shell/router.js';
import { PatientChart } from './PatientChart.js';
import { PatientFormPage } from './PatientForm.js';
import { PatientImagePage } from './PatientImagePage.js';
import { PatientSearchPage } from './PatientSearchPage.js';
import { TreatmentRoute } from '../treatment/TreatmentRoute.js';
import { ComparePage } from '../mounts/ComparePage.js';
import { MountsPage } from '../mounts/MountsPage.js';
import { MprPage } from '../mounts/MprPage.js';

/**
 * #/patients, #/patients/new, #/patients/<id>, #/patients/<id>/edit, #/patients/<id>/images/<imageId>,
 * #/patients/<id>/mounts[/<mountId>], #/patients/<id>/compare?images=<id1>,<id2>[,…], #/patients/<id>/mpr?series=<seriesId>
 */
export function PatientsRoute() {
  const [path = '', query = ''] = useRoutePath().split('?');
  const [, , id, action, imageId] = path.split('/');
  if (!id) return <PatientSearchPage />;
  if (id === 'new') return <PatientFormPage />;
  if (action === 'edit') return <PatientFormPage id={id} />;
  if (action === 'images' && imageId) return <PatientImagePage patientId={id} imageId={imageId} />;
  if (action === 'plans') return <TreatmentRoute patientId={id} planId={imageId} />;
  if (action === 'mounts') return <MountsPage patientId={id} mountId={imageId} />;
  if (action === 'compare') return <ComparePage patientId={id} query={query} />;
  if (action === 'mpr') return <MprPage patientId={id} query={query} />;
  return <PatientChart id={id} />;
}
