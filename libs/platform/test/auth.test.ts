import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { Router } from 'express';
import type { Server } from 'node:http';
import {
  AppError,
  authenticate,
  baseConfigSchema,
  closeServer,
  createHttpApp,
  createLogger,
  createMetrics,
  handshakeToken,
  listen,
  parseConfig,
  tokenRules,
  verifyToken,
} from '@chat/platform';
import { TEST_JWT_SECRET, api, badTokens, newUserId, tokenFor } from '@chat/testkit';

describe('verifyToken', () => {
  const userId = newUserId();

  it('accepts an HS256 token and returns its sub', () => {
    expect(verifyToken(tokenFor(userId), TEST_JWT_SECRET)).toBe(userId);
  });

  it.each(['id', 'userId'] as const)('falls back to the %s claim when there is no sub', (claim) => {
    expect(verifyToken(tokenFor(userId, { claim }), TEST_JWT_SECRET)).toBe(userId);
  });

  it('prefers sub over id and userId', () => {
    const other = newUserId();
    const token = jwt.sign({ sub: userId, id: other, userId: other }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      expiresIn: 60,
    });
    expect(verifyToken(token, TEST_JWT_SECRET)).toBe(userId);
  });

  it.each(Object.entries(badTokens(newUserId())))('refuses a %s token with 401', (_name, token) => {
    let caught: unknown;
    try {
      verifyToken(token, TEST_JWT_SECRET);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).status).toBe(401);
  });
});

describe('token rules', () => {
  const userId = newUserId();
  const refusal = (token: string, rules: Parameters<typeof verifyToken>[1] = TEST_JWT_SECRET) => {
    try {
      verifyToken(token, rules);
    } catch (err) {
      return err as AppError;
    }
    throw new Error('token accepted');
  };
  const configured = (env: Record<string, string> = {}) =>
    tokenRules(parseConfig(baseConfigSchema, { JWT_SECRET: TEST_JWT_SECRET, ...env }));

  it('refuses a token without exp, saying so', () => {
    const token = jwt.sign({ sub: userId }, TEST_JWT_SECRET, { algorithm: 'HS256' });
    expect(refusal(token)).toMatchObject({ status: 401, message: 'Token has no expiry (exp)' });
  });

  it('refuses a lifetime over JWT_MAX_LIFETIME_S (24 h by default), counted from iat or, without iat, from now', () => {
    expect(refusal(tokenFor(userId, { expiresIn: 24 * 3600 + 60 })).message).toMatch(
      /lifetime exceeds the maximum of 86400 s/,
    );
    expect(verifyToken(tokenFor(userId, { expiresIn: 24 * 3600 }), TEST_JWT_SECRET)).toBe(userId);
    const now = Math.floor(Date.now() / 1000);
    const noIat = jwt.sign({ sub: userId, exp: now + 2 * 24 * 3600 }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      noTimestamp: true,
    });
    expect(refusal(noIat).status).toBe(401);
    // Issued a day ago and valid for another hour: 25 h in all.
    const old = jwt.sign({ sub: userId, iat: now - 24 * 3600, exp: now + 3600 }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
    });
    expect(refusal(old).status).toBe(401);
    const rules = configured({ JWT_MAX_LIFETIME_S: '600' });
    expect(refusal(tokenFor(userId, { expiresIn: 3600 }), rules).message).toMatch(/maximum of 600 s/);
    expect(verifyToken(tokenFor(userId, { expiresIn: 600 }), rules)).toBe(userId);
  });

  it('refuses a token not yet valid (nbf), beyond the clock tolerance', () => {
    expect(refusal(tokenFor(userId, { notBefore: 3600, expiresIn: 7200 })).message).toBe('Token not yet valid (nbf)');
    expect(verifyToken(tokenFor(userId, { notBefore: 2 }), TEST_JWT_SECRET)).toBe(userId); // within 5 s of skew
  });

  it('checks iss and aud only when JWT_ISSUER / JWT_AUDIENCE are set', () => {
    const rules = configured({ JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'chat, chat-admin' });
    const good = { issuer: 'https://auth.example', audience: 'chat' };
    expect(verifyToken(tokenFor(userId, good), rules)).toBe(userId);
    expect(verifyToken(tokenFor(userId, { ...good, audience: 'chat-admin' }), rules)).toBe(userId);
    expect(refusal(tokenFor(userId, { ...good, issuer: 'https://evil.example' }), rules).message).toBe(
      'Token issuer not accepted',
    );
    expect(refusal(tokenFor(userId, { audience: 'chat' }), rules).message).toBe('Token issuer not accepted');
    expect(refusal(tokenFor(userId, { ...good, audience: 'billing' }), rules).message).toBe(
      'Token audience not accepted',
    );
    expect(refusal(tokenFor(userId, { issuer: good.issuer }), rules).message).toBe('Token audience not accepted');
    // Not configured: any iss / aud passes.
    expect(verifyToken(tokenFor(userId, { issuer: 'anyone', audience: 'anything' }), configured())).toBe(userId);
  });
});

describe('authenticate over HTTP', () => {
  let server: Server;
  let base: string;
  const userId = newUserId();
  const issued = { issuer: 'https://auth.example', audience: 'chat' };

  beforeAll(async () => {
    const config = parseConfig(baseConfigSchema, {
      JWT_SECRET: TEST_JWT_SECRET,
      JWT_ISSUER: issued.issuer,
      JWT_AUDIENCE: issued.audience,
    });
    const app = createHttpApp({
      logger: createLogger('auth-test', 'silent'),
      metrics: createMetrics('auth-test'),
      readiness: [],
      corsOrigins: '*',
      trustProxy: 'false',
      bodyLimit: '1kb',
      routes: (a) => {
        const r = Router();
        r.use(authenticate(config));
        r.get('/me', (_req, res) => {
          res.json({ userId: res.locals.userId });
        });
        a.use(r);
      },
    });
    const started = await listen(app, 0, '127.0.0.1');
    server = started.server;
    base = `http://127.0.0.1:${started.port}`;
  });
  afterAll(() => closeServer(server));

  it('answers 200 for a token that keeps every rule', async () => {
    const res = await api(base, tokenFor(userId, issued)).get('/me');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId });
  });

  it.each(
    Object.entries({
      ...badTokens(userId),
      noExpiry: jwt.sign({ sub: userId, iss: issued.issuer, aud: issued.audience }, TEST_JWT_SECRET, {
        algorithm: 'HS256',
      }),
      tooLongLived: tokenFor(userId, { ...issued, expiresIn: 48 * 3600 }),
      notYetValid: tokenFor(userId, { ...issued, notBefore: 3600, expiresIn: 7200 }),
      wrongIssuer: tokenFor(userId, { ...issued, issuer: 'https://evil.example' }),
      wrongAudience: tokenFor(userId, { ...issued, audience: 'billing' }),
      noIssuerNorAudience: tokenFor(userId),
    }),
  )('refuses a %s token with 401 and the API error shape', async (_name, token) => {
    const res = await api(base, token).get('/me');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ status: 401, message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js|jsonwebtoken/);
  });
});

describe('handshakeToken', () => {
  it('reads auth.token, with or without the Bearer prefix, else the Authorization header', () => {
    expect(handshakeToken({ auth: { token: 'abc' }, headers: {} })).toBe('abc');
    expect(handshakeToken({ auth: { token: 'Bearer abc' }, headers: {} })).toBe('abc');
    expect(handshakeToken({ auth: {}, headers: { authorization: 'Bearer xyz' } })).toBe('xyz');
    expect(handshakeToken({ auth: { token: { $ne: null } }, headers: {} })).toBeUndefined();
  });
});
