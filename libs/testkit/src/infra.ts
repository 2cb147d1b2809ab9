import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { freePort } from './ports.js';
import { startFerretDb } from './ferretdb.js';
import { restartableProcess, type RunningProcess } from './processes.js';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';
/** The shared MongoDB-wire server (FerretDB locally, mongod elsewhere); each test file gets its own database. */
const MONGO_BASE = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/chat';

/** A real nats-server with JetStream, on a free port with its own store, for one test file. */
export async function startNatsServer(): Promise<RunningProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nats-test-'));
  return restartableProcess({
    port,
    url: `nats://127.0.0.1:${port}`,
    dir,
    launch: () => spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' }),
  });
}

/**
 * NATS as production runs it: `size` JetStream servers in one cluster (routes on loopback),
 * each with its own store. `url` names every member, as clients should.
 */
export async function startNatsCluster(size = 3): Promise<{ url: string; nodes: RunningProcess[]; stop(): Promise<void> }> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(',');
  const nodes = await Promise.all(
    ports.map((port, i) => {
      const dir = mkdtempSync(join(tmpdir(), `nats-cluster-${i}-`));
      return restartableProcess({
        port,
        url: `nats://127.0.0.1:${port}`,
        dir,
        launch: () =>
          spawn(
            NATS_SERVER,
            ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, '-n', `n${i}`, '--cluster_name', 'chat',
              '--cluster', `nats://127.0.0.1:${routePorts[i]}`, '--routes', routes],
            { stdio: 'ignore' },
          ),
      });
    }),
  );
  return {
    url: nodes.map((n) => n.url).join(','),
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** A real redis-server on a free port, nothing persisted, for one test file. */
export async function startRedisServer(): Promise<RunningProcess> {
  const port = await freePort();
  return restartableProcess({
    port,
    url: `redis://127.0.0.1:${port}`,
    launch: () =>
      spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      }),
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
  redis: RunningProcess;
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
}

/**
 * Starts isolated NATS and Redis servers and picks a fresh database, so test files can run
 * in parallel. Call `stop()` in `afterAll`.
 */
export async function startTestInfra(opts: TestInfraOptions = {}): Promise<TestInfra> {
  const [natsNodes, redis, store] = await Promise.all([
    opts.natsCluster ? startNatsCluster(opts.natsCluster).then((c) => c.nodes) : startNatsServer().then((n) => [n]),
    startRedisServer(),
    opts.ownStore ? startFerretDb() : undefined,
  ]);
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
    store,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      MONGO_URL: mongoUrl,
      NATS_URL: natsUrl,
      NATS_STREAM_REPLICAS: String(natsNodes.length),
      REDIS_URL: redis.url,
      // Tests poll and fan out quickly; the limit itself is tested with its own low setting.
      HTTP_RATE_LIMIT_POINTS: '100000',
      // Many edges run at once: each takes a free port for its metrics.
      METRICS_PORT: '0',
    },
    stop: async () => {
      await dropDatabase(mongoUrl).catch(() => undefined);
      await Promise.all([...natsNodes.map((n) => n.stop()), redis.stop(), store?.stop()]);
    },
  };
}
