import { useRoutePath } from '../../shell/router.js';
import { PatientChart } from './PatientChart.js';
import { PatientFormPage } from './PatientForm.js';
import { PatientSearchPage } from './PatientSearchPage.js';

/** #/patients, #/patients/new, #/patients/<id>, #/patients/<id>/edit */
export function PatientsRoute() {
  const [, , id, action] = useRoutePath().split('/');
  if (!id) return <PatientSearchPage />;
  if (id === 'new') return <PatientFormPage />;
  if (action === 'edit') return <PatientFormPage id={id} />;
  return <PatientChart id={id} />;
}
