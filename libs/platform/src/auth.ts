import jwt from 'jsonwebtoken';
import type { NextFunction, Request, Response } from 'express';
import { unauthorized } from './errors.js';
import { runWithContext, currentContext, requestIdFrom } from './context.js';
import { rateLimiter } from './rate-limit.js';
import type { BaseConfig } from './config.js';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

/**
 * Verifies an HS256 token and returns the caller's user id: `sub`, else `id`, else `userId`,
 * which must be a 24-hex ObjectId. Any other algorithm (`none` included), a bad signature,
 * an expired `exp` or a missing id is a 401.
 */
export function verifyToken(token: string, secret: string): string {
  return verifyTokenClaims(token, secret).userId;
}

/** Like `verifyToken`, also answering when the token expires (`exp`, epoch ms), if it says. */
export function verifyTokenClaims(token: string, secret: string): { userId: string; expiresAt?: number } {
  let claims: jwt.JwtPayload | string;
  try {
    claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
  } catch (err) {
    throw unauthorized(err instanceof jwt.TokenExpiredError ? 'Token expired' : 'Invalid token');
  }
  if (typeof claims !== 'object' || claims === null) throw unauthorized('Invalid token');
  const id = claims.sub ?? (claims as Record<string, unknown>).id ?? (claims as Record<string, unknown>).userId;
  if (typeof id !== 'string' || !OBJECT_ID.test(id)) throw unauthorized('Token has no valid user id');
  const userId = id.toLowerCase();
  return typeof claims.exp === 'number' ? { userId, expiresAt: claims.exp * 1000 } : { userId };
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
export function requireAuth(secret: string, limit?: (userId: string) => Promise<void>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(unauthorized('Missing bearer token'));
    let userId: string;
    try {
      userId = verifyToken(token, secret);
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
 * API.md and the per-user request limit from the configuration.
 * @example router.use(authenticate(config));
 */
export const authenticate = (
  config: Pick<BaseConfig, 'JWT_SECRET' | 'HTTP_RATE_LIMIT_POINTS' | 'HTTP_RATE_LIMIT_WINDOW_S'>,
) =>
  requireAuth(
    config.JWT_SECRET,
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
