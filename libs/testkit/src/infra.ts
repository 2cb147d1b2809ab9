import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { freePort, waitForPort } from './ports.js';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';
/** The shared MongoDB-wire server (FerretDB locally, mongod elsewhere); each test file gets its own database. */
const MONGO_BASE = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/chat';

export interface RunningProcess {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Asks a child process to stop (`signal`, or `ask` when given, e.g. an IPC message), waits for
 * it to exit, and kills it after 5 s.
 */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', ask?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ask) ask();
    else child.kill(signal);
  });
}

/** A real nats-server with JetStream, on a free port with its own store, for one test file. */
export async function startNatsServer(): Promise<RunningProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nats-test-'));
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: child,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A real redis-server on a free port, nothing persisted, for one test file. */
export async function startRedisServer(): Promise<RunningProcess> {
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitForPort(port);
  return { url: `redis://127.0.0.1:${port}`, port, process: child, stop: () => stopProcess(child) };
}

/** A fresh database name on the shared MongoDB-wire server. */
export function testMongoUrl(): string {
  const url = new URL(MONGO_BASE);
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
  nats: RunningProcess;
  redis: RunningProcess;
  /** The environment every service needs to run against this infrastructure. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts isolated NATS and Redis servers and picks a fresh database, so test files can run
 * in parallel. Call `stop()` in `afterAll`.
 */
export async function startTestInfra(): Promise<TestInfra> {
  const [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
  const mongoUrl = testMongoUrl();
  return {
    natsUrl: nats.url,
    redisUrl: redis.url,
    mongoUrl,
    nats,
    redis,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      MONGO_URL: mongoUrl,
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      // Tests poll and fan out quickly; the limit itself is tested with its own low setting.
      HTTP_RATE_LIMIT_POINTS: '100000',
      // Many edges run at once: each takes a free port for its metrics.
      METRICS_PORT: '0',
    },
    stop: async () => {
      await Promise.all([nats.stop(), redis.stop(), dropDatabase(mongoUrl).catch(() => undefined)]);
    },
  };
}
