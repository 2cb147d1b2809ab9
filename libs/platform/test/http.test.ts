import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
      trustProxy: 'loopback, linklocal, uniquelocal',
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

describe('trust proxy', () => {
  const ipSeen = async (trustProxy: string) => {
    const app = createHttpApp({
      logger: createLogger('tp-test', 'silent'),
      metrics: createMetrics('tp-test'),
      readiness: [],
      corsOrigins: '*',
      trustProxy,
      bodyLimit: '1kb',
      routes: (a) => {
        a.get('/ip', (req, res) => {
          res.json({ ip: req.ip });
        });
      },
    });
    const { server, port } = await listen(app, 0, '127.0.0.1');
    try {
      const res = await api(`http://127.0.0.1:${port}`).get('/ip', { 'x-forwarded-for': '203.0.113.9' });
      return res.body.ip as string;
    } finally {
      await closeServer(server);
    }
  };

  it('believes X-Forwarded-For only from the hops TRUST_PROXY names (by default loopback and private networks)', async () => {
    expect(await ipSeen('loopback, linklocal, uniquelocal')).toBe('203.0.113.9'); // our edge on loopback
    expect(await ipSeen('false')).toMatch(/127\.0\.0\.1/);
    expect(await ipSeen('10.0.0.0/8')).toMatch(/127\.0\.0\.1/); // a loopback client is not that proxy
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
      trustProxy: 'false',
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

describe('request logs', () => {
  const lines: string[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = createHttpApp({
      logger: createLogger('log-test', 'info', { write: (line: string) => void lines.push(line) }),
      metrics: createMetrics('log-test'),
      readiness: [],
      corsOrigins: '*',
      trustProxy: 'false',
      bodyLimit: '1kb',
      routes: (a) => {
        // As media-service serves local files, and as a handler that reads the query would.
        a.get('/api/media/files/:name', (req, res) => {
          res.json({ name: req.params.name, sid: req.query.sid });
        });
      },
    });
    ({ server } = await listen(app, 0, '127.0.0.1'));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => closeServer(server));

  const logOf = async (path: string, headers: Record<string, string> = {}) => {
    const requestId = `log-${Math.random().toString(36).slice(2)}`;
    const res = await api(base).get(path, { ...headers, 'x-request-id': requestId });
    const line = await vi.waitFor(() => {
      const found = lines.find((l) => l.includes(requestId) && l.includes('"res":'));
      if (!found) throw new Error(`no log line for ${path}`);
      return found;
    });
    return { res, line };
  };

  it("logs a served file's URL without its random name, and the handler still gets the name", async () => {
    const { res, line } = await logOf('/api/media/files/0123456789abcdef0123456789abcdef.png');
    expect(res.body.name).toBe('0123456789abcdef0123456789abcdef.png');
    expect(JSON.parse(line).req.url).toBe('/api/media/files/[Redacted]');
    expect(line).not.toContain('0123456789abcdef');
  });

  it('logs a Socket.IO session id as [Redacted] in the URL and the query, however the name is encoded', async () => {
    const { res, line } = await logOf('/api/media/files/x?EIO=4&transport=polling&sid=gw1.SeCrEt&%73id=gw1.SeCrEt2');
    expect(res.body.sid).toEqual(['gw1.SeCrEt', 'gw1.SeCrEt2']); // the live request is untouched
    const { req } = JSON.parse(line);
    expect(req.url).toBe('/api/media/files/[Redacted]?EIO=4&transport=polling&sid=[Redacted]&%73id=[Redacted]');
    expect(req.query).toEqual({ EIO: '4', transport: 'polling', sid: '[Redacted]' });
    expect(line).not.toMatch(/SeCrEt/);
  });

  it("logs a Referer naming a file without the file's name", async () => {
    const { line } = await logOf('/nope', { referer: 'https://chat.example.com/API/Media/Files/SeCrEtName.png?x=1' });
    expect(JSON.parse(line).req.headers.referer).toBe('https://chat.example.com/API/Media/Files/[Redacted]?x=1');
    expect(line).not.toContain('SeCrEtName');
  });
});
