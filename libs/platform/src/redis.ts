import { Redis } from 'ioredis';

/** An ioredis client that keeps reconnecting; commands fail fast while it is down. */
/** `password`: Redis's `requirepass` (or `REDIS_URL` may carry it, as `redis://:password@host`). */
export function createRedis(url: string, name: string, password?: string): Redis {
  // No auto-pipelining: its internal pipelines reject unhandled when the connection closes.
  return new Redis(url, {
    ...(password && { password }),
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}

export const redisReady = (redis: Redis) => () => redis.status === 'ready';
export type { Redis };
