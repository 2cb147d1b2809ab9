import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnService, startTestInfra, type TestInfra } from '@chat/testkit';

// Runs services/message-api/dist/main.js: `npm run build` (or `npx tsc -b services/message-api`) first.
let infra: TestInfra;
beforeAll(async () => {
  infra = await startTestInfra();
});
afterAll(async () => {
  await infra?.stop();
});

describe('message-api as a process', () => {
  it('serves /healthz, /readyz and /metrics, and exits 0 on SIGTERM', async () => {
    const svc = await spawnService('message-api', infra.env);
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${svc.url}/readyz`);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { mongo: true, nats: true } });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toContain('process_cpu_user_seconds_total');
    expect(await svc.stop('SIGTERM')).toBe(0);
  });

  it('refuses to start without JWT_SECRET and names it', async () => {
    const env = Object.fromEntries(Object.entries(infra.env).filter(([key]) => key !== 'JWT_SECRET'));
    const child = spawn(process.execPath, ['services/message-api/dist/main.js'], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', ...env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(out).toContain('JWT_SECRET');
  });
});
