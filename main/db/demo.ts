import { AppError } from '../app/errors.js';
import type { Database } from './database.js';
import { fakeBirthDate, fakePhone, familyNames, givenNames, pick, seededRandom } from './fake.js';
import { createPatient } from './repositories/patients.js';
import { createPractice, listPractices, type Practice } from './repositories/practices.js';
import { createAppointment, createOperatory, createProvider } from './repositories/schedule.js';
import { createPlan } from './repositories/treatment.js';
import { createUser } from './repositories/users.js';

/**
 * The demo practice: a fictional bilingual clinic (providers, chairs, ~200 patients, a week of
 * appointments, treatment plans), marked `demo` so the app can say so everywhere. Everyone in
 * it is invented; phone numbers are in the 555-01xx range reserved for fiction.
 */
export interface DemoSummary {
  practice: Practice;
  patients: number;
  appointments: number;
  plans: number;
  /** Demo accounts (username → role); they all share `demoPassword`. */
  users: Array<{ username: string; role: string }>;
}

export const demoPassword = 'demo-cusp-2026';

export async function createDemoPractice(db: Database, options: { patients?: number; seed?: number; weekOf?: Date } = {}): Promise<DemoSummary> {
  if ((await listPractices(db.knex)).length) {
    throw new AppError('CONFLICT', 'This data folder already has a practice; the demo goes into an empty one');
  }
  const random = seededRandom(options.seed ?? 2026);
  const practice = await createPractice(db, { name: 'Clinique dentaire Démo / Demo Dental Clinic', demo: true });
  const accounts = [
    { username: 'dr.lavoie', displayName: 'Dre Catherine Lavoie', role: 'dentist' as const },
    { username: 'dr.chen', displayName: 'Dr Michael Chen (orthodontiste)', role: 'dentist' as const },
    { username: 'hyg.roy', displayName: 'Julie Roy, hygiéniste', role: 'hygienist' as const },
    { username: 'accueil', displayName: 'Accueil / Front desk', role: 'frontdesk' as const },
    { username: 'admin', displayName: 'Administration', role: 'admin' as const },
  ];
  const userIds: string[] = [];
  for (const account of accounts) userIds.push((await createUser(db, practice.id, { ...account, password: demoPassword })).id);
  const providers = [
    await createProvider(db, practice.id, { displayName: 'Dre Lavoie', kind: 'dentist', color: '#2f7ed8', userId: userIds[0] }),
    await createProvider(db, practice.id, { displayName: 'Dr Chen', kind: 'orthodontist', color: '#8bbc21', userId: userIds[1] }),
    await createProvider(db, practice.id, { displayName: 'Julie Roy', kind: 'hygienist', color: '#f28f43', userId: userIds[2] }),
  ];
  const chairs = [
    await createOperatory(db, practice.id, { name: 'Salle 1 / Room 1', aeTitles: ['DEMO_IO_1'] }),
    await createOperatory(db, practice.id, { name: 'Salle 2 / Room 2', aeTitles: ['DEMO_IO_2'] }),
    await createOperatory(db, practice.id, { name: 'Salle 3 / Room 3 (hygiène)', aeTitles: ['DEMO_IO_3'] }),
    await createOperatory(db, practice.id, { name: 'Panoramique / Pano', aeTitles: ['DEMO_PANO'] }),
  ];

  const patientIds: string[] = [];
  const count = options.patients ?? 200;
  for (let i = 0; i < count; i += 1) {
    const language = random() < 0.7 ? 'fr' : 'en';
    const patient = await createPatient(db, practice.id, {
      familyName: pick(random, familyNames),
      givenName: pick(random, givenNames),
      birthDate: fakeBirthDate(random),
      sex: pick(random, ['F', 'M', 'F', 'M', 'U'] as const),
      phone: fakePhone(random),
      email: null,
      address: null,
      language,
      dicomPatientIds: [],
    });
    patientIds.push(patient.id);
  }

  // A week of appointments, Monday to Friday 8:00–17:00 (UTC-5 clinic hours, stored in UTC).
  const monday = startOfWeek(options.weekOf ?? new Date());
  let appointments = 0;
  for (let day = 0; day < 5; day += 1) {
    for (let chair = 0; chair < 3; chair += 1) {
      let minutes = 8 * 60;
      while (minutes < 17 * 60) {
        const length = pick(random, [30, 30, 45, 60, 90]);
        if (minutes + length > 17 * 60) break;
        if (random() < 0.8) {
          const startsAt = new Date(monday.getTime() + day * 86_400_000 + (minutes + 300) * 60_000);
          await createAppointment(db, practice.id, {
            patientId: pick(random, patientIds),
            providerId: providers[chair]!,
            operatoryId: chairs[chair]!,
            startsAt: startsAt.toISOString(),
            endsAt: new Date(startsAt.getTime() + length * 60_000).toISOString(),
            status: random() < 0.5 ? 'confirmed' : 'booked',
            reason: pick(random, ['Examen / Exam', 'Nettoyage / Cleaning', 'Obturation / Filling', 'Urgence / Emergency', 'Suivi ortho / Ortho follow-up']),
            procedureIds: [],
          });
          appointments += 1;
        }
        minutes += length;
      }
    }
  }

  const templates = [
    { title: 'Restaurations / Fillings', phases: [{ title: 'Phase 1', procedures: [{ cdtCode: 'D2391', tooth: 36, surfaces: 'MO', feeCents: 18500 }, { cdtCode: 'D2392', tooth: 46, surfaces: 'MOD', feeCents: 23500 }] }] },
    { title: 'Traitement de canal / Root canal', phases: [{ title: 'Endo', procedures: [{ cdtCode: 'D3330', tooth: 17, feeCents: 120000 }] }, { title: 'Couronne / Crown', procedures: [{ cdtCode: 'D2740', tooth: 17, feeCents: 135000 }] }] },
    { title: 'Orthodontie / Orthodontics', phases: [{ title: 'Bilan / Records', procedures: [{ cdtCode: 'D0340', feeCents: 25000 }, { cdtCode: 'D0330', feeCents: 12000 }] }, { title: 'Traitement / Treatment', procedures: [{ cdtCode: 'D8080', feeCents: 550000 }] }] },
  ];
  let plans = 0;
  for (let i = 0; i < patientIds.length; i += 4) {
    const template = templates[plans % templates.length]!;
    await createPlan(db, practice.id, userIds[plans % 2]!, {
      patientId: patientIds[i]!,
      title: template.title,
      phases: template.phases.map((phase) => ({
        title: phase.title,
        procedures: phase.procedures.map((p) => ({ description: null, tooth: null, surfaces: null, status: 'proposed' as const, ...p })),
      })),
    });
    plans += 1;
  }
  return { practice, patients: patientIds.length, appointments, plans, users: accounts.map(({ username, role }) => ({ username, role })) };
}

function startOfWeek(date: Date): Date {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = (day.getUTCDay() + 6) % 7; // Monday = 0
  return new Date(day.getTime() - weekday * 86_400_000);
}
