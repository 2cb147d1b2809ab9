import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRedisAcl } from '@chat/contracts';
import { redisFailoverAclRules } from '@chat/contracts';
import { createRedis, type Redis } from '@chat/platform';
import { REDIS_TEST_CREDENTIALS, redisTestPassword, redisTestUsers } from './infra.js';
import { freePort } from './ports.js';
import { restartableProcess, type RunningProcess } from './processes.js';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export interface RedisSentinelTestSet {
  /** The node started as primary, and the one started as its replica (their roles change on failover). */
  primary: RunningProcess;
  replica: RunningProcess;
  sentinels: RunningProcess[];
  /** The name the sentinels monitor the primary under (REDIS_SENTINEL_NAME). */
  name: string;
  /** The test's own user on the nodes (`redis://test:…@`): give it with `sentinelSet` to createRedis. */
  url: string;
  /** The sentinels as createRedis takes them; they require `redisTestPassword('sentinel')`. */
  sentinelSet: { sentinels: { host: string; port: number }[]; name: string; password: string };
  /** REDIS_SENTINELS, REDIS_SENTINEL_NAME, REDIS_SENTINEL_PASSWORD and REDIS_URL for a service. */
  env: Record<string, string>;
  /** The port of the primary as a majority of the sentinels name it now. */
  primaryPort(): Promise<number | undefined>;
  /**
   * Waits until a majority of the sentinels name `port` as the primary; throws `timeoutMessage`
   * after `timeoutMs`. The sentinel that ran a failover knows first and the others learn it from
   * its hello messages (every 2 s), so clients may already write to the promoted node before then.
   */
  untilPrimaryIs(port: number, timeoutMs: number, timeoutMessage: string): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisSentinelTestOptions {
  /** How long a primary stays unanswered before a sentinel calls it down (down-after-milliseconds). */
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

const NAME = 'chat-redis';
const HOST = '127.0.0.1';

/**
 * A Sentinel-managed Redis for one test file: a primary, its replica and three sentinels on
 * free loopback ports, nothing persisted. Both nodes carry the services' ACL users (as
 * `startRedisServer`) plus `replication` and `sentinel` (redisFailoverAclRules), so either can
 * be the primary. Resolves once the replica is in sync and every sentinel knows the replica and
 * the other two, so a failover can start at once. Short timings by default: a primary killed is
 * replaced in about two seconds.
 */
export async function startRedisSentinelSet(opts: RedisSentinelTestOptions = {}): Promise<RedisSentinelTestSet> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
  const [primaryPort, replicaPort, ...sentinelPorts] = (await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  )) as [number, number, ...number[]];
  const ownDir = (name: string) => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const replicationPassword = redisTestPassword('replication');
  const sentinelNodePassword = redisTestPassword('sentinel-node');
  const sentinelPassword = redisTestPassword('sentinel');
  const acl = renderRedisAcl([
    ...redisTestUsers(),
    { user: 'replication', password: replicationPassword, rules: redisFailoverAclRules.replication },
    { user: 'sentinel', password: sentinelNodePassword, rules: redisFailoverAclRules.sentinel },
  ]);
  const nodeConf = (port: number, replicaOf?: number) =>
    [
      `port ${port}`,
      `bind ${HOST}`,
      'save ""',
      'appendonly no',
      // A replica writes the primary's snapshot to disk, and a node loads one at start: each its own.
      `dir ${ownDir(String(port))}`,
      // A replica syncs at once instead of waiting for others to join the same transfer.
      'repl-diskless-sync-delay 0',
      'masteruser replication',
      `masterauth ${replicationPassword}`,
      ...(replicaOf ? [`replicaof ${HOST} ${replicaOf}`] : []),
      acl,
    ].join('\n');
  const node = (port: number, replicaOf?: number) =>
    restartableProcess({
      port,
      url: `redis://${REDIS_TEST_CREDENTIALS.username}:${REDIS_TEST_CREDENTIALS.password}@${HOST}:${port}`,
      launch: () => {
        const child = spawn(REDIS_SERVER, ['-'], { stdio: ['pipe', 'ignore', 'ignore'] });
        child.stdin?.end(nodeConf(port, replicaOf));
        return child;
      },
    });
  const primary = await node(primaryPort);
  const replica = await node(replicaPort, primaryPort);
  const sentinels = await Promise.all(
    sentinelPorts.map((port, i) => {
      // Sentinel rewrites its file with what it learns, so each has a file of its own.
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `requirepass ${sentinelPassword}`,
          `sentinel sentinel-pass ${sentinelPassword}`,
          `sentinel monitor ${NAME} ${HOST} ${primaryPort} 2`,
          `sentinel auth-user ${NAME} sentinel`,
          `sentinel auth-pass ${NAME} ${sentinelNodePassword}`,
          `sentinel down-after-milliseconds ${NAME} ${opts.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${NAME} ${opts.failoverTimeoutMs ?? 5_000}`,
          `sentinel parallel-syncs ${NAME} 1`,
          '',
        ].join('\n'),
      );
      return restartableProcess({
        port,
        url: `redis://${HOST}:${port}`,
        launch: () => spawn(REDIS_SERVER, [conf, '--sentinel'], { stdio: 'ignore' }),
      });
    }),
  );
  const sentinelSet = {
    sentinels: sentinelPorts.map((port) => ({ host: HOST, port })),
    name: NAME,
    password: sentinelPassword,
  };
  const ask = async <T>(port: number, question: (client: Redis) => Promise<T>): Promise<T | undefined> => {
    const client = createRedis(`redis://${HOST}:${port}`, 'sentinel-probe', { password: sentinelPassword });
    client.on('error', () => undefined);
    try {
      return await question(client);
    } catch {
      return undefined;
    } finally {
      client.disconnect();
    }
  };
  const set: RedisSentinelTestSet = {
    primary,
    replica,
    sentinels,
    name: NAME,
    url: primary.url,
    sentinelSet,
    env: {
      REDIS_URL: primary.url,
      REDIS_SENTINELS: sentinelPorts.map((port) => `${HOST}:${port}`).join(','),
      REDIS_SENTINEL_NAME: NAME,
      REDIS_SENTINEL_PASSWORD: sentinelPassword,
    },
    primaryPort: async () => {
      const named = await Promise.all(
        sentinelPorts.map((port) =>
          ask(port, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME) as Promise<[string, string] | null>),
        ),
      );
      const ports = named.flatMap((n) => (n ? [Number(n[1])] : []));
      return ports.find((p) => ports.filter((q) => q === p).length >= 2);
    },
    untilPrimaryIs: async (port, timeoutMs, timeoutMessage) => {
      const deadline = Date.now() + timeoutMs;
      while ((await set.primaryPort()) !== port) {
        if (Date.now() > deadline) throw new Error(timeoutMessage);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: async () => {
      await Promise.all([...sentinels, primary, replica].map((p) => p.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await untilReadyForFailover(set, sentinelPorts, ask);
  return set;
}

/** Waits until the replica is in sync and each sentinel sees the replica and its two peers. */
async function untilReadyForFailover(
  set: RedisSentinelTestSet,
  sentinelPorts: number[],
  ask: <T>(port: number, question: (client: Redis) => Promise<T>) => Promise<T | undefined>,
): Promise<void> {
  const replica = createRedis(set.replica.url, 'replica-probe');
  replica.on('error', () => undefined);
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const synced = /master_link_status:up/.test(await replica.info('replication').catch(() => ''));
      const known = await Promise.all(
        sentinelPorts.map((port) =>
          ask(port, async (c) => {
            const replicas = (await c.call('SENTINEL', 'REPLICAS', set.name)) as unknown[];
            const peers = (await c.call('SENTINEL', 'SENTINELS', set.name)) as unknown[];
            return replicas.length >= 1 && peers.length >= sentinelPorts.length - 1;
          }),
        ),
      );
      if (synced && known.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('the Sentinel set did not come together in 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    replica.disconnect();
  }
}
