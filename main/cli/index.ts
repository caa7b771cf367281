import { Command, CommanderError } from 'commander';
import { appVersion } from '../app/paths.js';
import { reportError, type CommandFactory } from './common.js';
import { agentCommand } from './agent.js';
import { demoCommand } from './demo.js';
import { deriveCommand } from './derive.js';
import { importCommand } from './import.js';
import { serveCommand } from './serve.js';
import { statusCommand } from './status.js';
import { storageCommand } from './storage.js';

/** Every `cusp` command. Each lives in its own file and registers itself here. */
const commands: CommandFactory[] = [serveCommand, statusCommand, deriveCommand, demoCommand, agentCommand, importCommand, storageCommand];

export function buildProgram(): Command {
  const program = new Command('cusp')
    .description('Cusp — dental practice management and imaging')
    .version(appVersion)
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and returns the exit code (0 ok, 1 failure, 2 bad usage or input). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(error);
  }
}
