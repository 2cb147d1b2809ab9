import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A service as small as launchService allows: one listen() without a host, which prints where it bound. */
const SERVICE = `
import { baseConfigSchema, closeServer, launchService, listen } from '@chat/platform';
const schema = baseConfigSchema.pick({ LOG_LEVEL: true, SHUTDOWN_TIMEOUT_MS: true });
await launchService('bind-test', schema, async () => {
  const { server, port } = await listen((_req, res) => res.end('ok'), 0);
  console.log(JSON.stringify({ boundTo: server.address().address }));
  return { port, close: () => closeServer(server) };
});
`;

/** Runs SERVICE with `env`; resolves with the address it bound, or its exit code and output when it refused to start. */
function launch(env: Record<string, string>): Promise<{ boundTo?: string; code?: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SERVICE], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const bound = /\{"boundTo":"([^"]+)"\}/.exec(output);
      if (bound) {
        child.kill('SIGTERM');
        resolve({ boundTo: bound[1], output });
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('launchService listens on BIND_HOST', () => {
  it('listens on every interface by default (a container is reached through its pod network)', async () => {
    expect((await launch({})).boundTo).toBe('0.0.0.0');
  });

  it('listens on 127.0.0.1 only with BIND_HOST=127.0.0.1 (npm start: nothing internal reachable from the network)', async () => {
    expect((await launch({ BIND_HOST: '127.0.0.1' })).boundTo).toBe('127.0.0.1');
  });

  it('refuses to start when BIND_HOST is not an IP address, naming the variable', async () => {
    const result = await launch({ BIND_HOST: 'localhost:80' });
    expect(result.boundTo).toBeUndefined();
    expect(result.code).toBe(1);
    expect(result.output).toContain('BIND_HOST: must be an IP address');
  });
});
