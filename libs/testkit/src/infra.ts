import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import {
  natsInboxPrefix,
  natsPermissions,
  natsServiceUsers,
  redisAclRules,
  redisServiceUsers,
  renderNatsServerConfig,
  renderRedisAcl,
  type NatsClusterMember,
  type NatsUser,
  type RedisUser,
} from '@chat/contracts';
import { freePort } from './ports.js';
import { startFerretDb } from './ferretdb.js';
import { restartableProcess, type RunningProcess } from './processes.js';
import { startRedisSentinelSet, type RedisSentinelTestSet } from './redis-sentinel.js';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';
/** The shared MongoDB-wire server (FerretDB locally, mongod elsewhere); each test file gets its own database. */
const MONGO_BASE = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/chat';

/** The password each service's NATS user has in tests. */
export const natsTestPassword = (user: string) => `test-nats-${user}`;
/** The password each service's Redis user has in tests. */
export const redisTestPassword = (user: string) => `test-redis-${user}`;
/** A test's own Redis client (fakes, probes, inspection): every key, channel and command. */
export const REDIS_TEST_CREDENTIALS = { username: 'test', password: redisTestPassword('test') };

/**
 * The environment that makes a service connect as its own users, as in production: its NATS
 * user and, for a service that uses Redis, its Redis ACL user (spawnService adds it itself).
 */
export const serviceUserEnv = (service: string): Record<string, string> => ({
  ...(service === 'edge' ? {} : { NATS_USER: service, NATS_PASSWORD: natsTestPassword(service) }),
  ...((redisServiceUsers as readonly string[]).includes(service)
    ? { REDIS_USERNAME: service, REDIS_PASSWORD: redisTestPassword(service) }
    : {}),
});
/** A test's own NATS client (fakes, probes): allowed everything. */
export const NATS_TEST_CREDENTIALS = { user: 'test', pass: natsTestPassword('test') };

/** Inboxes of the test's own clients (Bus, raw): a service that answers requests answers theirs too. */
const TEST_INBOXES = [`${natsInboxPrefix(NATS_TEST_CREDENTIALS.user)}.>`, '_INBOX.>'];

/** Every service's user with the permissions of `natsPermissions`, plus the test's own user. */
const natsTestUsers = (): NatsUser[] => [
  ...natsServiceUsers.map((user) => {
    const permissions = natsPermissions[user];
    const answersTests = permissions.answers.length > 0;
    return {
      user,
      password: natsTestPassword(user),
      permissions: answersTests ? { ...permissions, publish: [...permissions.publish, ...TEST_INBOXES] } : permissions,
    };
  }),
  { user: NATS_TEST_CREDENTIALS.user, password: NATS_TEST_CREDENTIALS.pass },
];

/** A nats-server on `port` storing in `dir`, with every service's user; restartable. */
function natsServer(port: number, dir: string, cluster?: NatsClusterMember) {
  const conf = join(dir, 'nats.conf');
  writeFileSync(conf, renderNatsServerConfig({ port, storeDir: join(dir, 'js'), users: natsTestUsers(), cluster }));
  return restartableProcess({
    port,
    url: `nats://127.0.0.1:${port}`,
    dir,
    launch: () => spawn(NATS_SERVER, ['-c', conf], { stdio: 'ignore' }),
  });
}

/** A real nats-server with JetStream and the services' users, on a free port with its own store, for one test file. */
export async function startNatsServer(): Promise<RunningProcess> {
  return natsServer(await freePort(), mkdtempSync(join(tmpdir(), 'nats-test-')));
}

/**
 * NATS as production runs it: `size` JetStream servers in one cluster (routes on loopback),
 * each with its own store. `url` names every member, as clients should.
 */
export async function startNatsCluster(
  size = 3,
): Promise<{ url: string; nodes: RunningProcess[]; stop(): Promise<void> }> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  const nodes = await Promise.all(
    ports.map((port, i) =>
      natsServer(port, mkdtempSync(join(tmpdir(), `nats-cluster-${i}-`)), {
        name: `n${i}`,
        routePort: routePorts[i]!,
        routes,
      }),
    ),
  );
  return {
    url: nodes.map((n) => n.url).join(','),
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** Every service's Redis user (`redisTestPassword`) and the test's own full-access user. */
export const redisTestUsers = (): RedisUser[] => [
  ...redisServiceUsers.map((user) => ({ user, password: redisTestPassword(user), rules: redisAclRules[user] })),
  { user: REDIS_TEST_CREDENTIALS.username, password: REDIS_TEST_CREDENTIALS.password },
];

/**
 * A real redis-server on a free port for one test file, nothing persisted, with the users of
 * every environment (libs/contracts redis-acl.ts): `default` off, each service its own ACL user
 * (`redisTestPassword`), plus the test's own full-access user, whom `url` logs in as.
 */
export async function startRedisServer(): Promise<RunningProcess> {
  const port = await freePort();
  const conf = `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\n${renderRedisAcl(redisTestUsers())}`;
  const { username, password } = REDIS_TEST_CREDENTIALS;
  return restartableProcess({
    port,
    url: `redis://${username}:${password}@127.0.0.1:${port}`,
    launch: () => {
      // The configuration on stdin (`-`): the users' lines are redis.conf `user` directives.
      const child = spawn(REDIS_SERVER, ['-'], { stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin?.end(conf);
      return child;
    },
  });
}

/** A fresh database name on the shared MongoDB-wire server (or on `base`). */
export function testMongoUrl(base = MONGO_BASE): string {
  const url = new URL(base);
  url.pathname = `/test_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

export async function dropDatabase(mongoUrl: string): Promise<void> {
  const conn = await mongoose.createConnection(mongoUrl, { serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    await conn.dropDatabase();
  } finally {
    await conn.close();
  }
}

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TestInfra {
  natsUrl: string;
  redisUrl: string;
  mongoUrl: string;
  /** The NATS server, or the first member of the cluster. */
  nats: RunningProcess;
  /** Every NATS server: one, or the cluster's members. */
  natsNodes: RunningProcess[];
  /** The Redis server, or the node started as primary of the Sentinel set. */
  redis: RunningProcess;
  /** The Sentinel-managed Redis, when asked for (`redisSentinel`): `env` points the services at its sentinels. */
  redisSentinel?: RedisSentinelTestSet;
  /** This infrastructure's own MongoDB-wire server, when asked for (`ownStore`). */
  store?: RunningProcess;
  /** The environment every service needs to run against this infrastructure. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface TestInfraOptions {
  /** A NATS cluster of this many JetStream servers, streams replicated on each (default: one server). */
  natsCluster?: number;
  /** A FerretDB of its own instead of the shared MongoDB-wire server, so it may be killed. */
  ownStore?: boolean;
  /** A primary, a replica and three sentinels (startRedisSentinelSet) instead of one Redis server. */
  redisSentinel?: boolean;
}

/**
 * Starts isolated NATS and Redis servers and picks a fresh database, so test files can run
 * in parallel. Call `stop()` in `afterAll`.
 */
export async function startTestInfra(opts: TestInfraOptions = {}): Promise<TestInfra> {
  const [natsNodes, redisServers, store] = await Promise.all([
    opts.natsCluster ? startNatsCluster(opts.natsCluster).then((c) => c.nodes) : startNatsServer().then((n) => [n]),
    opts.redisSentinel ? startRedisSentinelSet() : startRedisServer(),
    opts.ownStore ? startFerretDb() : undefined,
  ]);
  const redisSentinel = 'sentinels' in redisServers ? redisServers : undefined;
  const redis = redisSentinel?.primary ?? (redisServers as RunningProcess);
  const nats = natsNodes[0] as RunningProcess;
  const natsUrl = natsNodes.map((n) => n.url).join(',');
  const mongoUrl = testMongoUrl(store?.mongoBase);
  return {
    natsUrl,
    redisUrl: redis.url,
    mongoUrl,
    nats,
    natsNodes,
    redis,
    redisSentinel,
    store,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      MONGO_URL: mongoUrl,
      NATS_URL: natsUrl,
      NATS_STREAM_REPLICAS: String(natsNodes.length),
      REDIS_URL: redis.url,
      ...redisSentinel?.env,
      // Tests poll and fan out quickly; the limit itself is tested with its own low setting.
      HTTP_RATE_LIMIT_POINTS: '100000',
      // Many edges run at once: each takes a free port for its metrics.
      METRICS_PORT: '0',
    },
    stop: async () => {
      await dropDatabase(mongoUrl).catch(() => undefined);
      await Promise.all([...natsNodes.map((n) => n.stop()), redisSentinel?.stop() ?? redis.stop(), store?.stop()]);
    },
  };
}
