import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { TEST_JWT_SECRET } from './infra.js';

/** A random 24-hex user id. */
export const newUserId = (): string => randomBytes(12).toString('hex');

/** A valid HS256 token for `userId` (as `sub`). */
export const tokenFor = (userId: string, opts: { secret?: string; expiresIn?: number; claim?: 'sub' | 'id' | 'userId' } = {}): string =>
  jwt.sign(opts.claim && opts.claim !== 'sub' ? { [opts.claim]: userId } : {}, opts.secret ?? TEST_JWT_SECRET, {
    algorithm: 'HS256',
    ...(opts.claim && opts.claim !== 'sub' ? {} : { subject: userId }),
    expiresIn: opts.expiresIn ?? 3600,
  });

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Tokens that every endpoint and socket must refuse with 401 / connect_error. */
export function badTokens(userId: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  return {
    malformed: 'not-a-jwt',
    wrongSecret: tokenFor(userId, { secret: 'another-secret-of-enough-length!!' }),
    expired: jwt.sign({ sub: userId, exp: now - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, iat: now })}.`,
    hs512: jwt.sign({ sub: userId }, TEST_JWT_SECRET, { algorithm: 'HS512' }),
    nonObjectIdSubject: jwt.sign({ sub: 'alice' }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
    noSubject: jwt.sign({ name: 'x' }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
  };
}
