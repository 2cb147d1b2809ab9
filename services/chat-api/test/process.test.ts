import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnService, startTestInfra, type TestInfra } from '@chat/testkit';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let infra: TestInfra;
beforeAll(async () => {
  infra = await startTestInfra();
});
afterAll(async () => {
  await infra?.stop();
});

/** Runs dist/main.js with `env` and resolves with its exit code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['services/chat-api/dist/main.js'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('chat-api as a process', () => {
  it('serves /healthz, /readyz and /metrics, and exits 0 on SIGTERM', async () => {
    const svc = await spawnService('chat-api', infra.env);
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${svc.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { mongo: true, nats: true, redis: true } });
    const metrics = await fetch(`${svc.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('chat_access_checks_total');
    expect(text).toContain('chat_projection_events_total');
    expect(await svc.stop('SIGTERM')).toBe(0);
  });

  it('refuses to start without JWT_SECRET, exiting non-zero with a message naming it', async () => {
    const env = { ...infra.env };
    delete env.JWT_SECRET;
    const { code, output } = await runToExit({ ...env, PORT: '0' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain('JWT_SECRET');
  });

  it('refuses to start with a JWT_SECRET shorter than 16 characters', async () => {
    const { code, output } = await runToExit({ ...infra.env, PORT: '0', JWT_SECRET: 'short' });
    expect(code).not.toBe(0);
    expect(output).toMatch(/JWT_SECRET: must be at least 16 characters/);
  });
});
