import { Redis, type RedisOptions } from 'ioredis';

/** Who a client authenticates as: a service's ACL user and its password (or `default`'s, without a username). */
export interface RedisCredentials {
  username?: string;
  password?: string;
}

/**
 * A Sentinel-managed Redis: the sentinels to ask (any one that answers will do), the name they
 * monitor the primary under, and the sentinels' own user, when they require one.
 */
export interface RedisSentinelSet {
  sentinels: { host: string; port: number }[];
  name: string;
  username?: string;
  password?: string;
}

/**
 * How a client finds the primary of a Sentinel set and follows a promotion: it asks the
 * sentinels for the primary whenever it (re)connects, and reconnects on READONLY (a write
 * reached a primary that has just become a replica), sending that command again on the new
 * primary. A demoted primary that still answers is left anyway: the sentinels close its clients
 * (CLIENT KILL) when they reconfigure it. A primary that stops answering without closing the
 * connection is left after `socketTimeout`.
 * Not ioredis's `failoverDetector`: its +switch-master handler closes the connector even while
 * the client is reconnecting, which ends that client for good (status `end`, every command
 * refused "Connection is closed"); under load, some clients of a killed primary did.
 */
function sentinelOptions(set: RedisSentinelSet): RedisOptions {
  return {
    sentinels: set.sentinels,
    name: set.name,
    role: 'master',
    ...(set.username && { sentinelUsername: set.username }),
    ...(set.password && { sentinelPassword: set.password }),
    // Keep asking the sentinels while none answers (ioredis gives up after one round otherwise).
    sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
    socketTimeout: SILENT_PRIMARY_MS,
  };
}

/** No reply to a command for this long: the primary is taken for gone and asked for again. */
const SILENT_PRIMARY_MS = 5_000;

/**
 * An ioredis client that keeps reconnecting; commands fail fast while it is down. Credentials
 * given here win over any in `url` (`redis://user:password@host`), so a shared REDIS_URL can
 * name the server while each service brings its own user. With `sentinels`, the primary is the
 * one the sentinels name (the host of `url` is not used; its user, password and database are),
 * and every `duplicate()` (the adapter's publisher and subscriber) follows the sentinels too.
 * @example createRedis(config.REDIS_URL, 'chat-api', { username, password }, { sentinels: parseSentinels('10.0.0.1:26379'), name: 'chat' })
 */
export function createRedis(
  url: string,
  name: string,
  credentials: RedisCredentials = {},
  sentinels?: RedisSentinelSet,
): Redis {
  const given = Boolean(credentials.username ?? credentials.password);
  const target = new URL(url);
  if (given) {
    target.username = '';
    target.password = '';
  }
  const fromUrl: RedisOptions = sentinels
    ? {
        ...(target.username && { username: decodeURIComponent(target.username) }),
        ...(target.password && { password: decodeURIComponent(target.password) }),
        ...(target.pathname.length > 1 && { db: Number(target.pathname.slice(1)) }),
      }
    : {};
  const options: RedisOptions = {
    ...fromUrl,
    ...(credentials.username && { username: credentials.username }),
    ...(credentials.password && { password: credentials.password }),
    ...(sentinels && sentinelOptions(sentinels)),
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    // No auto-pipelining: its internal pipelines reject unhandled when the connection closes.
  };
  return sentinels ? new Redis(options) : new Redis(target.toString(), options);
}

export const redisReady = (redis: Redis) => () => redis.status === 'ready';
export type { Redis };
