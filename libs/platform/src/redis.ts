import { Redis } from 'ioredis';

/**
 * An ioredis client that keeps reconnecting; commands fail fast while it is down. Commands
 * issued in the same tick go out in one write (auto-pipelining): on the hot paths several
 * unrelated commands often are, and each socket write costs more than the command.
 */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    enableAutoPipelining: true,
  });
}

export const redisReady = (redis: Redis) => () => redis.status === 'ready';
export type { Redis };
