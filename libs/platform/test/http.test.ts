import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from 'express';
import { badRequest, closeServer, createHttpApp, createLogger, createMetrics, listen } from '@chat/platform';
import { api } from '@chat/testkit';
import type { Server } from 'node:http';

describe('createHttpApp', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    let ready = true;
    const app = createHttpApp({
      logger: createLogger('http-test', 'silent'),
      metrics: createMetrics('http-test'),
      readiness: [{ name: 'flag', check: () => ready }],
      corsOrigins: '*',
      bodyLimit: '1kb',
      routes: (a) => {
        const r = Router();
        r.post('/echo', (req, res) => {
          res.json({ got: req.body });
        });
        r.get('/bad', () => {
          throw badRequest('bad thing', [{ field: 'x' }]);
        });
        r.get('/boom', async () => {
          throw new Error('E11000 duplicate key at /srv/secret/path.js:12');
        });
        r.post('/unready', (_req, res) => {
          ready = false;
          res.json({});
        });
        a.use(r);
      },
    });
    ({ server } = await listen(app, 0, '127.0.0.1'));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => closeServer(server));

  it('serves healthz and Prometheus metrics', async () => {
    expect((await api(base).get('/healthz')).status).toBe(200);
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toContain('process_resident_memory_bytes');
  });

  it('renders an AppError as { status, message, error }', async () => {
    const res = await api(base).get('/bad');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ status: 400, message: 'bad thing', error: [{ field: 'x' }] });
  });

  it('never leaks an unexpected error message or stack', async () => {
    const res = await api(base).get('/boom');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/E11000|secret|\.js/);
    expect(res.body.error.errorId).toEqual(expect.any(String));
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    expect((await api(base).post('/echo', '{"a":')).status).toBe(400);
    expect((await api(base).post('/echo', { a: 'x'.repeat(5000) })).status).toBe(413);
  });

  it('answers an unknown route with 404 in the error shape, echoing a request id', async () => {
    const res = await api(base).get('/nope', { 'x-request-id': 'abc-123' });
    expect(res.status).toBe(404);
    expect(res.body.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
  });

  it('reports not ready with 503 when a check fails', async () => {
    expect((await api(base).get('/readyz')).status).toBe(200);
    await api(base).post('/unready', {});
    const res = await api(base).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ flag: false });
  });
});

describe('requireAuth with a rate limit', () => {
  it('answers 429 with Retry-After past the limit, counting each verified user apart', async () => {
    const { Router } = await import('express');
    const { requireAuth, rateLimiter } = await import('@chat/platform');
    const { tokenFor, newUserId, TEST_JWT_SECRET } = await import('@chat/testkit');
    const app = createHttpApp({
      logger: createLogger('rl-test', 'silent'),
      metrics: createMetrics('rl-test'),
      readiness: [],
      corsOrigins: '*',
      bodyLimit: '1kb',
      routes: (a) => {
        const r = Router();
        r.use(requireAuth(TEST_JWT_SECRET, rateLimiter({ points: 2, windowS: 60 }, 'test')));
        r.get('/me', (_req, res) => {
          res.json({ ok: true });
        });
        a.use(r);
      },
    });
    const { server, port } = await listen(app, 0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const alice = api(base, tokenFor(newUserId()));
    expect((await alice.get('/me')).status).toBe(200);
    expect((await alice.get('/me')).status).toBe(200);
    const limited = await alice.get('/me');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ status: 429, message: 'Too many requests, slow down' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another user keeps their own budget; a bad token is a 401 that spends nobody's.
    expect((await api(base, tokenFor(newUserId())).get('/me')).status).toBe(200);
    expect((await api(base, 'forged').get('/me')).status).toBe(401);
    await closeServer(server);
  });
});
