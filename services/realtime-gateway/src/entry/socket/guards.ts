import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, type Redis } from '@chat/platform';
import type { GatewayConfig } from '../../config.js';

/**
 * Per-user event budget kept in Redis, so a user's sockets on every node share it. If Redis
 * is down, an in-memory limiter per node takes over rather than letting everything through.
 */
export function createEventRateLimiter(redis: Redis, config: GatewayConfig) {
  const opts = { points: config.SOCKET_RATE_LIMIT_POINTS, duration: config.SOCKET_RATE_LIMIT_WINDOW_S };
  const limiter = new RateLimiterRedis({
    ...opts,
    storeClient: redis,
    keyPrefix: 'rl:socket-events',
    // Past its budget a user is refused from memory for the rest of the window: a flood costs
    // no Redis round trip per event.
    inMemoryBlockOnConsumed: opts.points + 1,
    insuranceLimiter: new RateLimiterMemory({ ...opts, keyPrefix: 'rl:socket-events-local' }),
  });
  return {
    /** Spends one point of `userId`'s budget or throws RATE_LIMITED. */
    async consume(userId: string): Promise<void> {
      try {
        await limiter.consume(userId);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new AppError('RATE_LIMITED', `Too many events, retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
    },
  };
}
export type EventRateLimiter = ReturnType<typeof createEventRateLimiter>;

/**
 * Counts invalid events of one socket in a sliding window; `strike()` answers true once the
 * socket has sent `limit` of them within `windowMs` and should be cut off.
 */
export class GarbageMeter {
  private strikes: number[] = [];
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  strike(): boolean {
    const t = this.now();
    this.strikes = this.strikes.filter((s) => t - s < this.windowMs);
    this.strikes.push(t);
    return this.strikes.length >= this.limit;
  }
}
