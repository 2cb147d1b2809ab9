import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseConfigSchema,
  createRedis,
  parseConfig,
  parseSentinels,
  redisLock,
  redisSentinelSet,
  type Redis,
  type RedisSentinelSet,
} from '@chat/platform';
import { redisTestPassword, startRedisSentinelSet, type RedisSentinelTestSet } from '@chat/testkit';

const base = { JWT_SECRET: 'x'.repeat(32) };

describe('the Sentinel configuration', () => {
  it('reads REDIS_SENTINELS and REDIS_SENTINEL_NAME into the set createRedis takes; none without them', () => {
    const config = parseConfig(baseConfigSchema, {
      ...base,
      REDIS_SENTINELS: 'redis-sentinel-0:26379, 10.0.0.7:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'chat',
      REDIS_SENTINEL_PASSWORD: 'p',
    });
    expect(redisSentinelSet(config)).toEqual({
      sentinels: [
        { host: 'redis-sentinel-0', port: 26379 },
        { host: '10.0.0.7', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'chat',
      username: undefined,
      password: 'p',
    });
    expect(redisSentinelSet(parseConfig(baseConfigSchema, base))).toBeUndefined();
  });

  it('refuses sentinels without the name of their primary, and an entry that is not host:port, naming the variable', () => {
    expect(() => parseConfig(baseConfigSchema, { ...base, REDIS_SENTINELS: 'a:26379' })).toThrow(/REDIS_SENTINEL_NAME/);
    for (const bad of ['a', 'a:port', 'a:26379,b', ':26379', 'a:70000'])
      expect(() => parseConfig(baseConfigSchema, { ...base, REDIS_SENTINELS: bad, REDIS_SENTINEL_NAME: 'n' })).toThrow(
        /REDIS_SENTINELS: must be host:port/,
      );
    expect(() => parseSentinels('a:1,b')).toThrow(/"b" is not host:port/);
  });
});

/**
 * A real primary, replica and three sentinels. The same clients live through a manual failover
 * (the old primary stays up and becomes a replica) and then the SIGKILL of the new primary.
 */
describe('a client of a Sentinel-managed Redis', () => {
  let set: RedisSentinelTestSet;
  let sentinels: RedisSentinelSet;
  const clients: Redis[] = [];
  const client = (credentials?: { username: string; password: string }) => {
    const redis = createRedis(set.url, 'sentinel-test', credentials, sentinels);
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  };
  let admin: Redis;
  let gateway: Redis;
  let subscriber: Redis;
  const heard: string[] = [];

  beforeAll(async () => {
    // A failover after the manual one may start 2 × failover-timeout after it: keep that short.
    set = await startRedisSentinelSet({ failoverTimeoutMs: 2_000 });
    sentinels = set.sentinelSet;
    admin = client();
    // A service's own ACL user, as the gateway logs in; its publisher and subscriber are duplicates, as the adapter's are.
    gateway = client({ username: 'realtime-gateway', password: redisTestPassword('realtime-gateway') });
    subscriber = gateway.duplicate();
    subscriber.on('error', () => undefined);
    clients.push(subscriber);
    subscriber.on('message', (_channel: string, message: string) => heard.push(message));
    await subscriber.subscribe('socket.io#/#room#');
    // The shape of rate-limiter-flexible's script: EVALSHA, EVAL when the server lacks it.
    gateway.defineCommand('spend', {
      numberOfKeys: 1,
      lua: "local n = redis.call('incrby', KEYS[1], ARGV[1]) redis.call('pexpire', KEYS[1], 60000) return n",
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await set?.stop();
  });

  const spend = (key: string) => (gateway as Redis & { spend(k: string, n: number): Promise<number> }).spend(key, 1);
  const portOf = (redis: Redis) => (redis as unknown as { stream?: { remotePort?: number } }).stream?.remotePort;

  /** Writes every 50 ms until a write lands on `port`; answers the longest gap between two successful writes (ms). */
  async function writeThrough(port: number, timeoutMs = 20_000): Promise<number> {
    const started = Date.now();
    let last = started;
    let longest = 0;
    while (Date.now() - started < timeoutMs) {
      const ok = await admin.set('probe', String(Date.now())).then(
        () => true,
        () => false,
      );
      if (ok) {
        longest = Math.max(longest, Date.now() - last);
        last = Date.now();
        if (portOf(admin) === port) return longest;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no write reached port ${port} in ${timeoutMs} ms`);
  }

  it('finds the primary through the sentinels, as the test user and as a service user with its scripts', async () => {
    expect(await set.primaryPort()).toBe(set.primary.port);
    expect(await admin.set('k', 'v')).toBe('OK');
    expect(portOf(admin)).toBe(set.primary.port);
    expect(await spend('rl:socket-events:u1')).toBe(1);
    await expect(gateway.get('k')).rejects.toThrow(/NOPERM/);
  });

  it('follows a manual failover: the old primary, still up, is left for the promoted replica; scripts and subscriptions go on', async () => {
    const sentinel = createRedis(`redis://127.0.0.1:${set.sentinels[0]!.port}`, 'sentinel-admin', {
      password: sentinels.password,
    });
    clients.push(sentinel);
    await sentinel.call('SENTINEL', 'FAILOVER', set.name);
    const gap = await writeThrough(set.replica.port);
    await set.untilPrimaryIs(set.replica.port, 10_000, 'the sentinels did not agree on the promoted replica in 10 s');
    expect(gap).toBeLessThan(10_000);
    expect(await admin.get('k')).toBe('v');
    expect(await spend('rl:socket-events:u1')).toBe(2);
    await untilHeard(gateway, 'after-manual-failover');
  }, 40_000);

  it('follows the SIGKILL of the primary: the sentinels promote the other node within seconds, the same clients carry on', async () => {
    // Many clients reconnecting at once: ioredis's failoverDetector ended some of them for good
    // (a +switch-master while they asked the sentinels), which this crowd caught under load.
    const crowd = Array.from({ length: 30 }, () => client());
    await Promise.all(crowd.map((c) => c.ping()));
    // Replication is asynchronous: with the replica's link cut (its user gone), the lock holds
    // taken from now on reach the primary only, and the promotion loses them.
    const primary = createRedis(set.replica.url, 'sentinel-test-primary');
    primary.on('error', () => undefined);
    clients.push(primary);
    const lock = redisLock(admin, 'chat-write');
    const before = [await lock.run('c1', async (fence) => fence)];
    const replica = createRedis(set.primary.url, 'sentinel-test-replica');
    replica.on('error', () => undefined);
    clients.push(replica);
    const deadline = Date.now() + 10_000;
    while (Number(await replica.get('chat-write:fence:c1')) !== before[0]) {
      if (Date.now() > deadline) throw new Error('the replica never got the first hold');
      await new Promise((r) => setTimeout(r, 50));
    }
    await primary.call('ACL', 'DELUSER', 'replication');
    for (let i = 0; i < 5; i++) await lock.run('c1', async (fence) => void before.push(fence));
    const killedAt = Date.now();
    await set.replica.kill('SIGKILL');
    // down-after-milliseconds 1 s, then an election (another round if the votes split, longer on a loaded machine) and the promotion.
    const gap = await writeThrough(set.primary.port, 40_000);
    await set.untilPrimaryIs(set.primary.port, 10_000, 'the sentinels did not agree on the promoted node in 10 s');
    expect(Date.now() - killedAt).toBeLessThan(40_000);
    expect(gap).toBeLessThan(40_000);
    // What was replicated before the kill is there; the script reloads on the new primary.
    expect(await admin.get('k')).toBe('v');
    expect(await spend('rl:socket-events:u1')).toBeGreaterThanOrEqual(2);
    expect(await gateway.set('presence:x', '1')).toBe('OK');
    await untilHeard(gateway, 'after-kill');
    expect(await Promise.all(crowd.map((c) => c.ping().catch((err: Error) => err.message)))).toEqual(
      crowd.map(() => 'PONG'),
    );
    // The promoted node had not seen the last holds, yet the next token is above every one
    // handed out: no holder may take it for "nobody held the key since my last hold".
    expect(Number(await admin.get('chat-write:fence:c1'))).toBe(before[0]);
    const after = await lock.run('c1', async (fence) => fence);
    expect(after).toBeGreaterThan(Math.max(...before) + 1);
  }, 70_000);

  /** Publishes `message` until the subscriber hears it: it resubscribed on the new primary. */
  async function untilHeard(publisher: Redis, message: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!heard.includes(message)) {
      if (Date.now() > deadline) throw new Error(`the subscriber never heard ${message}`);
      await publisher.publish('socket.io#/#room#', message).catch(() => 0);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});
