import { Redis } from 'ioredis';

/** Who a client authenticates as: a service's ACL user and its password (or `default`'s, without a username). */
export interface RedisCredentials {
  username?: string;
  password?: string;
}

/**
 * An ioredis client that keeps reconnecting; commands fail fast while it is down. Credentials
 * given here win over any in `url` (`redis://user:password@host`), so a shared REDIS_URL can
 * name the server while each service brings its own user.
 */
export function createRedis(url: string, name: string, credentials: RedisCredentials = {}): Redis {
  const given = Boolean(credentials.username ?? credentials.password);
  const target = new URL(url);
  if (given) {
    target.username = '';
    target.password = '';
  }
  // No auto-pipelining: its internal pipelines reject unhandled when the connection closes.
  return new Redis(target.toString(), {
    ...(credentials.username && { username: credentials.username }),
    ...(credentials.password && { password: credentials.password }),
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}

export const redisReady = (redis: Redis) => () => redis.status === 'ready';
export type { Redis };
