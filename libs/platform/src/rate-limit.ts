import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './errors.js';
import type { Redis } from './redis.js';

export interface RateLimit {
  points: number;
  windowS: number;
}

/**
 * Counts a caller's requests; past `points` within `windowS` it throws RATE_LIMITED with the
 * seconds to wait (rendered as 429 with `Retry-After`). Counters live in this process, so each
 * replica allows the limit: this guards a service against one client's flood.
 */
export function rateLimiter(limit: RateLimit, keyPrefix: string) {
  const limiter = new RateLimiterMemory({ points: limit.points, duration: limit.windowS, keyPrefix });
  return async (key: string): Promise<void> => {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new AppError('RATE_LIMITED', 'Too many requests, slow down', {
        retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
      });
    }
  };
}

/**
 * A limit shared by every replica through Redis. Past its budget a key is refused from memory
 * for the rest of the window, so a flood costs no Redis round trip each; while Redis is away,
 * each replica counts in memory rather than letting everything through.
 */
export function sharedRateLimiter(redis: Redis, limit: RateLimit, keyPrefix: string): RateLimiterRedis {
  const opts = { points: limit.points, duration: limit.windowS };
  return new RateLimiterRedis({
    ...opts,
    storeClient: redis,
    keyPrefix,
    inMemoryBlockOnConsumed: opts.points + 1,
    insuranceLimiter: new RateLimiterMemory({ ...opts, keyPrefix: `${keyPrefix}-local` }),
  });
}
