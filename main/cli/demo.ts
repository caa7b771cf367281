import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../app/log.js';
import { openServices } from '../app/services.js';
import { createDemoPractice, demoPassword } from '../db/demo.js';
import { dataOption } from './common.js';

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('create a fictional bilingual demo practice (patients, chairs, a week of appointments, plans) in an empty data folder')
    .addOption(dataOption())
    .option('--patients <n>', 'how many demo patients (1–10000)', patientCount, 200)
    .action(async (options: { data: string; patients: number }) => {
      const services = await openServices({ dataDir: options.data, log: createLogger({ level: 'warn' }) });
      try {
        const summary = await createDemoPractice(services.database(), { patients: options.patients });
        console.log(`Demo practice created in ${options.data} (demo data — every person in it is fictional):`);
        console.log(`  ${summary.patients} patients, ${summary.appointments} appointments this week, ${summary.plans} treatment plans`);
        console.log(`  accounts: ${summary.users.map((u) => `${u.username} (${u.role})`).join(', ')} — password ${demoPassword}`);
      } finally {
        await services.close();
      }
    });
}

function patientCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError(`Expected an integer between 1 and 10000 but received ${value}`);
  return n;
}
