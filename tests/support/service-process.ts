import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * A test server run as `node <script> …` (never through npx, so the PID stopped is the server's),
 * logging to a file, ready once its port accepts connections. stop() then start() reuses the same
 * port and data folder (outage tests).
 */
export interface ServiceProcess {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly running: boolean;
}

export function serviceProcess(name: string, args: string[], port: number, logFile: string): ServiceProcess {
  let child: ChildProcess | null = null;
  return {
    get running() {
      return child !== null;
    },
    async start() {
      if (child) return;
      const log = openSync(logFile, 'a');
      const proc = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
      closeSync(log);
      child = proc;
      const deadline = Date.now() + 30_000;
      while (!(await accepts(port))) {
        if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}; see ${logFile}`);
        if (Date.now() > deadline) throw new Error(`${name} did not listen on 127.0.0.1:${port} within 30 s; see ${logFile}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
