import { Command, Option } from 'commander';
import { AppError } from '../app/errors.js';
import { defaultDataDir } from '../app/paths.js';

/** `--data DIR`, which every command takes. */
export function dataOption(): Option {
  return new Option('--data <dir>', 'the data folder (database, images, config)').default(defaultDataDir(), 'the per-user data folder');
}

/** The error a person reads: what went wrong and what to do, never a stack trace (unless CUSP_DEBUG). */
export function reportError(error: unknown): number {
  if (process.env.CUSP_DEBUG) console.error(error);
  const message = error instanceof AppError || error instanceof Error ? error.message : String(error);
  console.error(`cusp: ${message}`);
  return error instanceof AppError && error.code === 'INVALID_INPUT' ? 2 : 1;
}

export type CommandFactory = (program: Command) => void;
