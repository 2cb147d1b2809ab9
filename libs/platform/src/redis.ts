import { Redis } from 'ioredis';

/** An ioredis client that keeps reconnecting; commands fail fast while it is down. */
export function createRedis(url: string, name: string): Redis {
  // No auto-pipelining: its internal pipelines reject unhandled when the connection closes.
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}

export const redisReady = (redis: Redis) => () => redis.status === 'ready';
export type { Redis };
