import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { TEST_JWT_SECRET } from './infra.js';

/** A random 24-hex user id. */
export const newUserId = (): string => randomBytes(12).toString('hex');

export interface TokenOptions {
  secret?: string;
  /** Seconds until `exp` (default 3600; the services refuse more than JWT_MAX_LIFETIME_S, 24 h by default). */
  expiresIn?: number;
  claim?: 'sub' | 'id' | 'userId';
  /** `iss` and `aud`, for services configured with JWT_ISSUER / JWT_AUDIENCE. */
  issuer?: string;
  audience?: string;
  /** Seconds from now before the token is valid (`nbf`). */
  notBefore?: number;
}

/** A valid HS256 token for `userId` (as `sub`), always with an `exp`. */
export const tokenFor = (userId: string, opts: TokenOptions = {}): string =>
  jwt.sign(opts.claim && opts.claim !== 'sub' ? { [opts.claim]: userId } : {}, opts.secret ?? TEST_JWT_SECRET, {
    algorithm: 'HS256',
    ...(opts.claim && opts.claim !== 'sub' ? {} : { subject: userId }),
    expiresIn: opts.expiresIn ?? 3600,
    ...(opts.issuer !== undefined && { issuer: opts.issuer }),
    ...(opts.audience !== undefined && { audience: opts.audience }),
    ...(opts.notBefore !== undefined && { notBefore: opts.notBefore }),
  });

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/**
 * Tokens that every endpoint and socket must refuse with 401 / connect_error under the default
 * token rules. Each is wrong in one way only (all but `noExpiry` carry a valid `exp`).
 */
export function badTokens(userId: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + 600;
  return {
    malformed: 'not-a-jwt',
    wrongSecret: tokenFor(userId, { secret: 'another-secret-of-enough-length!!' }),
    expired: jwt.sign({ sub: userId, exp: now - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, iat: now, exp })}.`,
    hs512: jwt.sign({ sub: userId, exp }, TEST_JWT_SECRET, { algorithm: 'HS512' }),
    nonObjectIdSubject: jwt.sign({ sub: 'alice', exp }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
    noSubject: jwt.sign({ name: 'x', exp }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
    noExpiry: jwt.sign({ sub: userId }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
    // 48 h: past the default JWT_MAX_LIFETIME_S of 24 h.
    tooLongLived: tokenFor(userId, { expiresIn: 48 * 3600 }),
    notYetValid: tokenFor(userId, { notBefore: 3600, expiresIn: 7200 }),
  };
}
