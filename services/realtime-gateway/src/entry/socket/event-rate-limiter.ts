import { RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, sharedRateLimiter, type Redis } from '@chat/platform';
import type { GatewayConfig } from '../../config.js';

/** Most points a node takes from a user's budget in one Redis call: a tenth of it, 1 to 16. */
export const blockOf = (points: number): number => Math.min(16, Math.max(1, Math.floor(points / 10)));

/** Points a node holds for one user: spendable until `until` (the end of the budget's window). */
interface Held {
  left: number;
  until: number;
  /** What the user had left in Redis after this node's last take. */
  remaining: number;
}

/**
 * Per-user event budget kept in Redis, so a user's sockets on every node share it. A node takes
 * points in blocks (`blockOf`) and spends them from memory: a steady sender costs one Redis round
 * trip per block, not per event. A block is never more than Redis said the user had left, so the
 * nodes together stay within the budget; what a node took and did not spend is lost with the
 * window. If Redis is down, an in-memory limiter per node takes over rather than letting
 * everything through.
 */
export function createEventRateLimiter(redis: Redis, config: GatewayConfig) {
  const points = config.SOCKET_RATE_LIMIT_POINTS;
  const limiter = sharedRateLimiter(redis, { points, windowS: config.SOCKET_RATE_LIMIT_WINDOW_S }, 'rl:socket-events');
  const block = blockOf(points);
  const held = new Map<string, Held>();
  const forgetExpired = (now: number) => {
    for (const [userId, h] of held) if (h.until <= now) held.delete(userId);
  };
  return {
    /** Spends one point of `userId`'s budget or throws RATE_LIMITED. */
    async consume(userId: string): Promise<void> {
      const now = Date.now();
      const mine = held.get(userId);
      const current = mine && mine.until > now ? mine : undefined;
      if (current && current.left > 0) {
        current.left -= 1;
        return;
      }
      const take = Math.max(1, Math.min(block, current ? current.remaining : block));
      try {
        const res = await limiter.consume(userId, take);
        if (held.size >= 10_000) forgetExpired(now);
        held.set(userId, { left: take - 1, until: now + res.msBeforeNext, remaining: res.remainingPoints });
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new AppError('RATE_LIMITED', `Too many events, retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
    },
  };
}
export type EventRateLimiter = ReturnType<typeof createEventRateLimiter>;
