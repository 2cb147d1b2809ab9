import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen, parseConfig } from '@chat/platform';
import { api } from '@chat/testkit';
import { edgeConfigSchema, usesDevelopmentSecret } from '../src/config.js';
import { startEdge, type RunningEdge } from '../src/app.js';

/** Answers every request with its own name, as chat-api, message-api or media-service would. */
async function namedUpstream(name: string) {
  const { server, port } = await listen(
    (_req: any, res: any) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name }));
    },
    0,
    '127.0.0.1',
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

async function edgeWith(
  webDir: string,
  upstream: string,
  env: Record<string, string> = {},
): Promise<{ edge: RunningEdge; base: string }> {
  const config = parseConfig(edgeConfigSchema, {
    ...env,
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    CHAT_API_URL: upstream,
    MESSAGE_API_URL: upstream,
    MEDIA_SERVICE_URL: upstream,
    GATEWAY_NODES: `gw1=${upstream}`,
    WEB_CLIENT_DIR: webDir,
  });
  const edge = await startEdge(config, createLogger('edge', 'silent'));
  return { edge, base: `http://127.0.0.1:${edge.port}` };
}

describe('the edge serves the built web client at /', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-dist-'));
  const empty = mkdtempSync(join(tmpdir(), 'web-none-'));
  let upstream: Awaited<ReturnType<typeof namedUpstream>>;
  let withPage: Awaited<ReturnType<typeof edgeWith>>;
  let without: Awaited<ReturnType<typeof edgeWith>>;

  beforeAll(async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Chat</title>');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    upstream = await namedUpstream('chat-api');
    withPage = await edgeWith(dir, upstream.url);
    without = await edgeWith(empty, upstream.url);
  });

  afterAll(async () => {
    await Promise.all([withPage.edge.close(), without.edge.close()]);
    upstream.server.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('answers / with the page, its own content security policy and no caching', async () => {
    const res = await fetch(`${withPage.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<title>Chat</title>');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('lets browsers keep hashed assets for good', async () => {
    const res = await fetch(`${withPage.base}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('leaves /api to the services and unknown paths to the 404 in the API error shape', async () => {
    expect((await api(withPage.base).get('/api/chats/requests')).body).toEqual({ upstream: 'chat-api' });
    const unknown = await api(withPage.base).get('/api/users');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: 404 });
    expect((await api(withPage.base).get('/no-such-file.js')).status).toBe(404);
  });

  it('serves nothing at / when the folder holds no built page', async () => {
    const res = await api(without.base).get('/');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 404 });
  });
});

/** GET with the path sent exactly as written (fetch would resolve `..` and re-encode). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("the local users' tokens (/dev-users.json) are served only with the development secret", () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-dist-'));
  const devUsers = JSON.stringify({ users: [{ name: 'Alice', userId: 'a'.repeat(24), token: 'tok.en.alice' }] });
  let upstream: Awaited<ReturnType<typeof namedUpstream>>;
  let devSecret: string;

  beforeAll(async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Chat</title>');
    writeFileSync(join(dir, 'dev-users.json'), devUsers);
    upstream = await namedUpstream('chat-api');
    // The secret `npm start` falls back to, from the file it reads it from.
    const devSecretModule: string = '../../../deploy/local/dev-secret.mjs';
    ({ DEV_JWT_SECRET: devSecret } = (await import(devSecretModule)) as { DEV_JWT_SECRET: string });
  });

  afterAll(() => {
    upstream.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows the development secret npm start uses (deploy/local/dev-secret.mjs)', () => {
    expect(usesDevelopmentSecret({ JWT_SECRET: devSecret })).toBe(true);
    expect(usesDevelopmentSecret({ JWT_SECRET: `${devSecret}x` })).toBe(false);
    expect(usesDevelopmentSecret({})).toBe(false);
  });

  it('serves the file while JWT_SECRET is the development secret', async () => {
    const { edge, base } = await edgeWith(dir, upstream.url, { JWT_SECRET: devSecret });
    try {
      const res = await fetch(`${base}/dev-users.json`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(devUsers);
      expect(res.headers.get('cache-control')).toBe('no-cache');
    } finally {
      await edge.close();
    }
  });

  it.each([
    ['another secret', { JWT_SECRET: 'a-secret-of-its-own-0123456789' }],
    ['no secret (as in Docker and Kubernetes)', {}],
  ])('answers 404 with %s, however the path is spelled', async (_label, env: Record<string, string>) => {
    const { edge, base } = await edgeWith(dir, upstream.url, env);
    try {
      for (const path of [
        '/dev-users.json',
        '/dev%2Dusers.json',
        '/DEV-USERS.JSON',
        '/dev-users.json/',
        '/assets/../dev-users.json',
        '/assets/..%2Fdev-users.json',
        '/./dev-users.json',
      ]) {
        const res = await rawGet(base, path);
        expect(res.status, path).toBe(404);
        expect(res.body, path).not.toContain('tok.en.alice');
      }
      expect((await fetch(`${base}/`)).status).toBe(200); // the page itself still is
    } finally {
      await edge.close();
    }
  });
});
