import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { serviceUserEnv } from './infra.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type ServiceName = 'edge' | 'chat-api' | 'message-api' | 'media-service' | 'realtime-gateway';

export interface SpawnedService {
  name: ServiceName;
  url: string;
  /** Where its /healthz and /readyz answer: `url`, except for the edge (its internal port). */
  probeUrl: string;
  port: number;
  process: ChildProcess;
  /** Everything the process printed, for assertions and for debugging a failed test. */
  output(): string;
  /** SIGTERM (or another signal) and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `services/<name>/dist/main.js` as a real process (build first: `npm run build`)
 * with `env` on a free port, and waits until its `/readyz` answers 200 (the edge's on its
 * internal port, METRICS_PORT, a free one too: its public port serves no probes). As in
 * production it starts with `--import @chat/platform/start-tracing`, which traces only when
 * `env` has OTEL_* variables that ask for it (OTEL_SERVICE_NAME is the service's name).
 */
export async function spawnService(
  name: ServiceName,
  env: Record<string, string>,
  opts: { port?: number; readyTimeoutMs?: number } = {},
): Promise<SpawnedService> {
  const port = opts.port ?? (await freePort());
  const probePort = name === 'edge' ? await freePort() : port;
  const probeEnv: Record<string, string> = name === 'edge' ? { METRICS_PORT: String(probePort) } : {};
  // Each service connects as its own NATS and Redis user, as in production.
  const child = spawn(process.execPath, ['--import', '@chat/platform/start-tracing', `services/${name}/dist/main.js`], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      OTEL_SERVICE_NAME: name,
      ...serviceUserEnv(name),
      ...env,
      ...probeEnv,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const service: SpawnedService = {
    name,
    url,
    probeUrl: `http://127.0.0.1:${probePort}`,
    port,
    process: child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill(signal);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before ready:\n${out}`);
    try {
      const res = await fetch(`${service.probeUrl}/readyz`);
      if (res.ok) return service;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await service.stop('SIGKILL');
      throw new Error(`${name} not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
