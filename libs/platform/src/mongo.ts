import mongoose, { Types, type Connection } from 'mongoose';

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
      const conn = mongoose.createConnection(url, { serverSelectionTimeoutMS: 2_000, autoIndex: false });
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
