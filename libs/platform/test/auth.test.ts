import { describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { verifyToken, handshakeToken, AppError } from '@chat/platform';
import { TEST_JWT_SECRET, badTokens, newUserId, tokenFor } from '@chat/testkit';

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
    const token = jwt.sign({ sub: userId, id: other, userId: other }, TEST_JWT_SECRET, { algorithm: 'HS256' });
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

describe('handshakeToken', () => {
  it('reads auth.token, with or without the Bearer prefix, else the Authorization header', () => {
    expect(handshakeToken({ auth: { token: 'abc' }, headers: {} })).toBe('abc');
    expect(handshakeToken({ auth: { token: 'Bearer abc' }, headers: {} })).toBe('abc');
    expect(handshakeToken({ auth: {}, headers: { authorization: 'Bearer xyz' } })).toBe('xyz');
    expect(handshakeToken({ auth: { token: { $ne: null } }, headers: {} })).toBeUndefined();
  });
});
