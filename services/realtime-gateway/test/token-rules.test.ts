import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import type { Socket } from 'socket.io-client';
import { DEV_JWT_SECRET } from '@chat/platform';
import { TEST_JWT_SECRET, connectSocket, newUserId, spawnService, tokenFor } from '@chat/testkit';
import { startFakeCluster, type FakeCluster } from './support/fake-cluster.js';

const issued = { issuer: 'https://auth.example', audience: 'chat' };

/**
 * The token rules at the socket handshake: every token must say when it expires, may not live
 * longer than JWT_MAX_LIFETIME_S, must be valid already, and must name the configured issuer and
 * audience; each refusal is a connect_error with code UNAUTHORIZED that says why.
 */
describe('realtime-gateway: token rules at the handshake', () => {
  let cluster: FakeCluster<'plain' | 'strict'>;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    cluster = await startFakeCluster({
      plain: {},
      strict: { JWT_ISSUER: issued.issuer, JWT_AUDIENCE: issued.audience, JWT_MAX_LIFETIME_S: '600' },
    });
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await cluster?.close();
  });

  const refusalOf = (url: string, token: string) =>
    connectSocket(url, token).then(
      (s) => {
        sockets.push(s);
        throw new Error('connected');
      },
      (err: Error & { data?: unknown }) => ({ message: err.message, data: err.data }),
    );

  it.each([
    ['without exp', () => jwt.sign({ sub: newUserId() }, TEST_JWT_SECRET, { algorithm: 'HS256' }), /no expiry \(exp\)/],
    ['living 25 h', () => tokenFor(newUserId(), { expiresIn: 25 * 3600 }), /lifetime exceeds the maximum of 86400 s/],
    ['valid only in an hour (nbf)', () => tokenFor(newUserId(), { notBefore: 3600, expiresIn: 7200 }), /not yet valid/],
  ])('refuses a token %s with connect_error UNAUTHORIZED', async (_what, token, reason) => {
    expect(await refusalOf(cluster.nodes.plain.url, token())).toEqual({
      message: expect.stringMatching(reason),
      data: { code: 'UNAUTHORIZED' },
    });
  });

  it('takes a token with an exp within 24 h and any iss / aud when none is configured', async () => {
    const s = await connectSocket(
      cluster.nodes.plain.url,
      tokenFor(newUserId(), { issuer: 'x', audience: 'y', expiresIn: 24 * 3600 }),
    );
    sockets.push(s);
    expect(s.connected).toBe(true);
  });

  it.each([
    [
      'a wrong issuer',
      () => tokenFor(newUserId(), { ...issued, issuer: 'https://evil.example' }),
      /issuer not accepted/,
    ],
    ['no issuer', () => tokenFor(newUserId(), { audience: issued.audience, expiresIn: 600 }), /issuer not accepted/],
    [
      'a wrong audience',
      () => tokenFor(newUserId(), { ...issued, audience: 'billing', expiresIn: 600 }),
      /audience not accepted/,
    ],
    [
      'a lifetime over JWT_MAX_LIFETIME_S (600 s here)',
      () => tokenFor(newUserId(), { ...issued, expiresIn: 3600 }),
      /maximum of 600 s/,
    ],
  ])('with JWT_ISSUER / JWT_AUDIENCE set, refuses a token with %s', async (_what, token, reason) => {
    expect(await refusalOf(cluster.nodes.strict.url, token())).toEqual({
      message: expect.stringMatching(reason),
      data: { code: 'UNAUTHORIZED' },
    });
  });

  it('with JWT_ISSUER / JWT_AUDIENCE set, takes a token that names them', async () => {
    const s = await connectSocket(cluster.nodes.strict.url, tokenFor(newUserId(), { ...issued, expiresIn: 600 }));
    sockets.push(s);
    expect(s.connected).toBe(true);
  });

  it('a service started with NODE_ENV=production and the development secret refuses to start, naming JWT_SECRET', async () => {
    const start = spawnService('realtime-gateway', {
      ...cluster.infra.env,
      NODE_ENV: 'production',
      JWT_SECRET: DEV_JWT_SECRET,
    });
    await expect(start).rejects.toThrow(
      /exited with 1 before ready[\s\S]*JWT_SECRET: is the public development secret/,
    );
  });
});
