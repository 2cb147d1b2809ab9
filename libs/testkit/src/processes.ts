import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { waitForPort } from './ports.js';

export interface RunningProcess {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stops it for good and removes what it stored. */
  stop(): Promise<void>;
  /** Stops it with `signal` (a fault), keeping its port and what it stored for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
}

/**
 * Asks a child process to stop (`signal`, or `ask` when given, e.g. an IPC message), waits for
 * it to exit, and kills it after 5 s.
 */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', ask?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ask) ask();
    else child.kill(signal);
  });
}

/**
 * A server process on a fixed port that a fault test may kill and start again: `launch`
 * spawns it, `dir` (removed by `stop`) holds what it stores across restarts.
 */
export async function restartableProcess(opts: {
  port: number;
  url: string;
  dir?: string;
  launch: () => ChildProcess;
}): Promise<RunningProcess> {
  const up = async () => {
    const child = opts.launch();
    await waitForPort(opts.port, '127.0.0.1', 30_000);
    return child;
  };
  const running: RunningProcess = {
    url: opts.url,
    port: opts.port,
    process: await up(),
    kill: (signal = 'SIGKILL') => stopProcess(running.process, signal),
    restart: async () => {
      await stopProcess(running.process);
      running.process = await up();
    },
    stop: async () => {
      await stopProcess(running.process);
      if (opts.dir) rmSync(opts.dir, { recursive: true, force: true });
    },
  };
  return running;
}
