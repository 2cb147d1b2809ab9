import jwt from 'jsonwebtoken';
import type { NextFunction, Request, Response } from 'express';
import { unauthorized } from './errors.js';
import { runWithContext, currentContext, requestIdFrom } from './context.js';
import { rateLimiter } from './rate-limit.js';
import { csv, type BaseConfig } from './config.js';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

/** What a token must satisfy besides its signature (from the JWT_* variables of the configuration). */
export interface TokenRules {
  secret: string;
  /** Longest lifetime a token may claim, in seconds (JWT_MAX_LIFETIME_S). */
  maxLifetimeS: number;
  /** Clock skew allowed for `exp` and `nbf`, in seconds. */
  clockToleranceS: number;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Accepted `aud` values, when set (a token must name one of them). */
  audience?: string[];
}

/** Rules used when only a secret is given: `exp` required, at most 24 h, 5 s of skew, no `iss`/`aud` check. */
export const DEFAULT_TOKEN_RULES: Omit<TokenRules, 'secret'> = { maxLifetimeS: 24 * 3600, clockToleranceS: 5 };

/**
 * The token rules of a service's configuration.
 * @example verifyToken(token, tokenRules(config));
 */
export function tokenRules(
  config: Pick<
    BaseConfig,
    'JWT_SECRET' | 'JWT_MAX_LIFETIME_S' | 'JWT_CLOCK_TOLERANCE_S' | 'JWT_ISSUER' | 'JWT_AUDIENCE'
  >,
): TokenRules {
  return {
    secret: config.JWT_SECRET,
    maxLifetimeS: config.JWT_MAX_LIFETIME_S,
    clockToleranceS: config.JWT_CLOCK_TOLERANCE_S,
    ...(config.JWT_ISSUER && { issuer: config.JWT_ISSUER }),
    ...(config.JWT_AUDIENCE && { audience: csv(config.JWT_AUDIENCE) }),
  };
}

const rulesOf = (rules: TokenRules | string): TokenRules =>
  typeof rules === 'string' ? { secret: rules, ...DEFAULT_TOKEN_RULES } : rules;

/**
 * Verifies an HS256 token and returns the caller's user id: `sub`, else `id`, else `userId`,
 * which must be a 24-hex ObjectId. Any other algorithm (`none` included), a bad signature,
 * a missing, passed or too distant `exp`, a future `nbf`, a wrong `iss`/`aud` (when
 * configured) or a missing id is a 401. A bare secret means the default rules.
 */
export function verifyToken(token: string, rules: TokenRules | string): string {
  return verifyTokenClaims(token, rules).userId;
}

/** Like `verifyToken`, also answering when the token expires (`exp`, epoch ms). */
export function verifyTokenClaims(token: string, rules: TokenRules | string): { userId: string; expiresAt: number } {
  const r = rulesOf(rules);
  let claims: jwt.JwtPayload | string;
  try {
    claims = jwt.verify(token, r.secret, {
      algorithms: ['HS256'],
      clockTolerance: r.clockToleranceS,
      ...(r.issuer && { issuer: r.issuer }),
      ...(r.audience && { audience: r.audience as [string, ...string[]] }),
    });
  } catch (err) {
    throw unauthorized(refusalOf(err));
  }
  if (typeof claims !== 'object' || claims === null) throw unauthorized('Invalid token');
  // A token without an expiry (or one far off) stays usable forever if it leaks.
  if (typeof claims.exp !== 'number') throw unauthorized('Token has no expiry (exp)');
  const now = Math.floor(Date.now() / 1000);
  const issuedAt = typeof claims.iat === 'number' ? Math.min(claims.iat, now) : now;
  if (claims.exp - issuedAt > r.maxLifetimeS + r.clockToleranceS)
    throw unauthorized(`Token lifetime exceeds the maximum of ${r.maxLifetimeS} s`);
  const id = claims.sub ?? (claims as Record<string, unknown>).id ?? (claims as Record<string, unknown>).userId;
  if (typeof id !== 'string' || !OBJECT_ID.test(id)) throw unauthorized('Token has no valid user id');
  return { userId: id.toLowerCase(), expiresAt: claims.exp * 1000 };
}

/** The 401 message for a token jsonwebtoken refused: why, without echoing the token. */
function refusalOf(err: unknown): string {
  if (err instanceof jwt.TokenExpiredError) return 'Token expired';
  if (err instanceof jwt.NotBeforeError) return 'Token not yet valid (nbf)';
  if (err instanceof jwt.JsonWebTokenError && /^jwt (issuer|audience) invalid/.test(err.message))
    return `Token ${err.message.startsWith('jwt issuer') ? 'issuer' : 'audience'} not accepted`;
  return 'Invalid token';
}

/** `Bearer <token>` -> token, else undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Express middleware: 401 unless a valid bearer token, then 429 past the caller's rate limit;
 * sets `res.locals.userId` and the request context. The limit is keyed by the verified user,
 * so nobody can spend another user's budget with a forged token.
 */
export function requireAuth(rules: TokenRules | string, limit?: (userId: string) => Promise<void>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(unauthorized('Missing bearer token'));
    let userId: string;
    try {
      userId = verifyToken(token, rules);
      await limit?.(userId);
    } catch (err) {
      return next(err);
    }
    res.locals.userId = userId;
    const requestId = currentContext()?.requestId ?? requestIdFrom(req.headers['x-request-id']);
    runWithContext({ requestId, userId }, () => next());
  };
}

/**
 * The authentication every REST service puts in front of its routes: the token rules of
 * docs/api-guide.md and the per-user request limit from the configuration.
 * @example router.use(authenticate(config));
 */
export const authenticate = (config: BaseConfig) =>
  requireAuth(
    tokenRules(config),
    rateLimiter({ points: config.HTTP_RATE_LIMIT_POINTS, windowS: config.HTTP_RATE_LIMIT_WINDOW_S }, 'http-user'),
  );

/** The authenticated caller of a request that passed `requireAuth`. */
export const callerOf = (res: Response): string => res.locals.userId as string;

/** Socket.IO handshake: the token from `auth.token` or an `Authorization: Bearer` header. */
export function handshakeToken(handshake: { auth?: unknown; headers: Record<string, unknown> }): string | undefined {
  const auth = handshake.auth as { token?: unknown } | undefined;
  if (auth && typeof auth.token === 'string' && auth.token.length > 0) {
    return bearerToken(auth.token) ?? auth.token;
  }
  return bearerToken(handshake.headers.authorization);
}
