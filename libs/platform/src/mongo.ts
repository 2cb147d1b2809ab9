import mongoose, { type Connection } from 'mongoose';
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

export const mongoReady = (conn: Connection) => () => conn.readyState === 1;
