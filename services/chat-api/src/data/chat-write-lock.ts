import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { Logger } from '@chat/platform';
import { unavailable } from '@chat/platform';

/**
 * Serializes the writes to one chat document. MongoDB applies each update atomically, but
 * FerretDB 1.24 (PostgreSQL or SQLite) reads, modifies and writes a document back without a row
 * lock, so two concurrent updates of the same chat lose one `$inc` and both pass a
 * compare-and-set filter. Every write of a chat therefore runs inside `run(chatId, ...)`.
 */
export interface ChatWriteLock {
  readonly kind: 'process' | 'shared';
  run<T>(chatId: string, write: () => Promise<T>): Promise<T>;
}

/** One write per chat at a time within this process (a promise chain per chat id). */
export function processLock(): ChatWriteLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    kind: 'process',
    async run(chatId, write) {
      const previous = tails.get(chatId) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = previous.then(() => mine);
      tails.set(chatId, tail);
      await previous;
      try {
        return await write();
      } finally {
        release();
        if (tails.get(chatId) === tail) tails.delete(chatId);
      }
    },
  };
}

interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

/**
 * One write per chat at a time across every replica: a lease document whose `_id` is the chat id
 * (the unique `_id` index is atomic on FerretDB too). A lease left by a crashed replica expires
 * after `leaseMs`. Same-process writers queue in memory first, so they never poll each other.
 */
export function sharedLock(conn: Connection, opts: { leaseMs?: number; waitMs?: number } = {}): ChatWriteLock {
  const leaseMs = opts.leaseMs ?? 5_000;
  const waitMs = opts.waitMs ?? 5_000;
  const leases = conn.db!.collection<LeaseDoc>('chat_write_locks');
  const local = processLock();

  async function acquire(chatId: string): Promise<string> {
    const owner = randomUUID();
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await leases.insertOne({ _id: chatId, owner, expiresAt: new Date(Date.now() + leaseMs) });
        return owner;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const held = await leases.findOne({ _id: chatId });
      if (held && held.expiresAt.getTime() < Date.now()) {
        await leases.deleteOne({ _id: chatId, owner: held.owner });
        continue;
      }
      if (Date.now() > deadline) throw unavailable('The chat is busy, try again');
      await new Promise((r) => setTimeout(r, Math.min(50, 2 + attempt * 3) + Math.random() * 5));
    }
  }

  return {
    kind: 'shared',
    run: (chatId, write) =>
      local.run(chatId, async () => {
        const owner = await acquire(chatId);
        try {
          return await write();
        } finally {
          await leases.deleteOne({ _id: chatId, owner }).catch(() => undefined);
        }
      }),
  };
}

/**
 * `auto`: the shared lease lock when the server is FerretDB (its buildInfo carries
 * `ferretdbVersion`), else the in-process lock (MongoDB's own updates are atomic).
 */
export async function chatWriteLock(
  conn: Connection,
  mode: 'auto' | 'process' | 'shared',
  logger: Logger,
): Promise<ChatWriteLock> {
  let chosen = mode;
  if (mode === 'auto') {
    const info = await conn
      .db!.admin()
      .command({ buildInfo: 1 })
      .catch(() => ({}) as Record<string, unknown>);
    chosen = 'ferretdbVersion' in info ? 'shared' : 'process';
  }
  logger.info({ chatWriteLock: chosen }, 'chat write serialization');
  return chosen === 'shared' ? sharedLock(conn) : processLock();
}
