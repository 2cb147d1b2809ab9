import mongoose, { Types, type Connection } from 'mongoose';
import { Histogram } from 'prom-client';
import type { Metrics } from './metrics.js';

/** The ObjectId of a validated 24-hex id. */
export const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);

/**
 * Whether a write failed on a unique index: code 11000 from MongoDB, and from FerretDB 1.24 on
 * inserts; FerretDB reports an update that breaks a unique index as InternalError (code 1) with
 * PostgreSQL's unique violation (SQLSTATE 23505) in its message.
 */
export const isDuplicateKey = (err: unknown): boolean => {
  const { code, message } = (err ?? {}) as { code?: number; message?: string };
  return code === DUPLICATE_KEY || (code === 1 && /\(SQLSTATE 23505\)/.test(message ?? ''));
};
export const DUPLICATE_KEY = 11000;
import type { Logger } from 'pino';

/**
 * Opens this service's own mongoose connection, retrying while the server is not up yet.
 * Indexes are built by `syncIndexes` on the models the service registers.
 */
export async function connectMongo(url: string, logger: Logger, opts: { attempts?: number } = {}): Promise<Connection> {
  const attempts = opts.attempts ?? 30;
  for (let attempt = 1; ; attempt++) {
    try {
      // monitorCommands: the driver reports each command's duration (observeStoreCommands).
      const conn = mongoose.createConnection(url, {
        serverSelectionTimeoutMS: 2_000,
        autoIndex: false,
        monitorCommands: true,
      });
      await conn.asPromise();
      return conn;
    } catch (err) {
      if (attempt >= attempts) throw err;
      logger.warn({ attempt, err: (err as Error).message }, 'MongoDB not reachable yet, retrying');
      await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * attempt)));
    }
  }
}

const READY_PING_MS = 1_000;

/**
 * Ready when the server answers a ping within a second: `readyState` alone stays "connected"
 * for a while after the server has gone, while requests already fail.
 */
export const mongoReady = (conn: Connection) => async (): Promise<boolean> => {
  if (conn.readyState !== 1 || !conn.db) return false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_PING_MS)));
  try {
    return await Promise.race([conn.db.command({ ping: 1 }).then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
};

/** Command names the driver sends are a fixed set; anything else is counted as `other`, so the label stays bounded. */
const COMMAND_NAME = /^[a-zA-Z]{1,40}$/;

/**
 * Times every command this connection sends (the driver's command monitoring) into
 * `mongodb_command_duration_seconds`, by command name (`find`, `insert`, `update`, ...) and
 * outcome (`ok` or `error`).
 * @example observeStoreCommands(links.mongo, metrics);
 */
export function observeStoreCommands(conn: Connection, metrics: Metrics): void {
  const duration = new Histogram({
    name: 'mongodb_command_duration_seconds',
    help: 'MongoDB commands sent by this process, by command name and outcome',
    labelNames: ['command', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics.registry],
  });
  const observe = (outcome: string) => (e: { commandName: string; duration: number }) =>
    duration.observe(
      { command: COMMAND_NAME.test(e.commandName) ? e.commandName : 'other', outcome },
      e.duration / 1000,
    );
  const client = conn.getClient();
  client.on('commandSucceeded', observe('ok'));
  client.on('commandFailed', observe('error'));
}
