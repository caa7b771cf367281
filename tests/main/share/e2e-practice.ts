import type { Page } from 'playwright-core';
import { expect, vi } from 'vitest';
import { patientCreateSchema, planCreateSchema } from '../../../contract/index.js';
import { main } from '../../../main/cli/index.js';
import { openDatabase } from '../../../main/db/database.js';
import { createPatient } from '../../../main/db/repositories/patients.js';
import { createPlan } from '../../../main/db/repositories/treatment.js';
import { launchChromium, type Chromium } from '../../support/chromium.js';
import { dicomData } from '../../support/paths.js';
import type { ServeProcess } from '../../support/serve.js';

export const demoPassword = 'demo-cusp-2026';

export interface SharePatient {
  id: string;
  imageIds: string[];
  planId: string;
}

async function cli(dataDir: string, ...args: string[]) {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'cusp', ...args, '--data', dataDir])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

/**
 * The demo practice plus two patients of our own: Hélène Tremblay (French) with two encodings
 * of the real bitewing (two images), Morgan Walsh (English) with the panoramic; each with a plan.
 */
export async function practiceWithPatients(dataDir: string): Promise<{ fr: SharePatient; en: SharePatient }> {
  await cli(dataDir, 'demo');
  const db = await openDatabase({ client: 'sqlite', filename: `${dataDir}/cusp.sqlite` });
  try {
    const practiceId = (await db.knex('practices').first('id')).id as string;
    const dentistId = (await db.knex('users').where({ username: 'dr.lavoie' }).first('id')).id as string;
    const make = async (language: 'fr' | 'en', familyName: string, givenName: string, files: string[][]) => {
      const patient = await createPatient(db, practiceId, patientCreateSchema.parse({ familyName, givenName, language }));
      const plan = await createPlan(
        db,
        practiceId,
        dentistId,
        planCreateSchema.parse({
          patientId: patient.id,
          title: language === 'fr' ? 'Plan de restauration' : 'Restorative plan',
          phases: [
            {
              title: language === 'fr' ? 'Phase urgente' : 'Urgent phase',
              procedures: [
                { cdtCode: 'D2391', description: language === 'fr' ? 'Composite une face' : 'Composite one surface', tooth: 46, surfaces: 'O', feeCents: 15000 },
                { cdtCode: 'D2740', description: language === 'fr' ? 'Couronne céramique' : 'Ceramic crown', tooth: 36, feeCents: 120000 },
              ],
            },
          ],
        }),
      );
      for (const file of files) await cli(dataDir, 'import', dicomData(...file), '--patient', patient.id);
      const rows = await db.knex('images').where({ patient_id: patient.id }).orderBy('created_at').select('id');
      return { id: patient.id, imageIds: rows.map((r) => r.id as string), planId: plan.id };
    };
    const fr = await make('fr', 'Tremblay', 'Hélène', [
      ['dental', 'IO_bitewing01_12bit_ExplicitVRLE.dcm'],
      ['dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm'],
    ]);
    const en = await make('en', 'Walsh', 'Morgan', [['synthetic', 'PX_pano_12bit.dcm']]);
    expect(fr.imageIds).toHaveLength(2);
    expect(en.imageIds).toHaveLength(1);
    return { fr, en };
  } finally {
    await db.close();
  }
}

/** A fresh Chromium profile (its own cookies, so its own session) signed in as `username`. */
export async function signedIn(serve: ServeProcess, browsers: Chromium[], username: string | null): Promise<{ browser: Chromium; page: Page }> {
  const browser = await launchChromium({ locale: 'fr-CA', timezoneId: 'America/Toronto' });
  browsers.push(browser);
  const page = await browser.context.newPage();
  await page.goto(serve.url);
  if (username) expect(await rpc(page, 'auth.signIn', { username, password: demoPassword })).toMatchObject({ ok: true });
  return { browser, page };
}

/** A contract call from inside the page (its cookies, its session). */
export interface RpcReply {
  ok: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the fields it asked for
  value?: any;
  error?: { code: string; message: string };
}

export function rpc(page: Page, method: string, input: unknown): Promise<RpcReply> {
  return page.evaluate(
    async ([m, i]) => {
      const response = await fetch('/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: m, input: i }) });
      return response.json();
    },
    [method, input] as const,
  );
}
