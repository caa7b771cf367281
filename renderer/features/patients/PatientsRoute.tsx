import { useRoutePath } from '../../shell/router.js';
import { PatientChart } from './PatientChart.js';
import { PatientFormPage } from './PatientForm.js';
import { PatientImagePage } from './PatientImagePage.js';
import { PatientSearchPage } from './PatientSearchPage.js';

/** #/patients, #/patients/new, #/patients/<id>, #/patients/<id>/edit, #/patients/<id>/images/<imageId> */
export function PatientsRoute() {
  const [, , id, action, imageId] = useRoutePath().split('/');
  if (!id) return <PatientSearchPage />;
  if (id === 'new') return <PatientFormPage />;
  if (action === 'edit') return <PatientFormPage id={id} />;
  if (action === 'images' && imageId) return <PatientImagePage patientId={id} imageId={imageId} />;
  return <PatientChart id={id} />;
}
