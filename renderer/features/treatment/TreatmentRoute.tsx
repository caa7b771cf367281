import { ForbiddenPage } from '../../pages/ForbiddenPage.js';
import { useCan } from '../auth/AuthProvider.js';
import { PlanPage } from './PlanPage.js';
import { PlansPage } from './PlansPage.js';

/** #/patients/<id>/plans and #/patients/<id>/plans/<planId>: clinical roles only (main refuses the calls too). */
export function TreatmentRoute({ patientId, planId }: { patientId: string; planId?: string | undefined }) {
  const can = useCan();
  if (!can('clinical')) return <ForbiddenPage />;
  return planId ? <PlanPage key={planId} patientId={patientId} planId={planId} /> : <PlansPage patientId={patientId} />;
}
