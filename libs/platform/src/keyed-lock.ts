import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { unavailable } from './errors.js';

/**
 * Runs writes one at a time per key (a chat id). MongoDB applies each update atomically, but
 * FerretDB 1.24 reads, modifies and writes a document back without a row lock: concurrent
 * `$inc` or compare-and-set updates of one document silently lose writes. The one primitive it
 * keeps exclusive is an insert checked by a unique index, which the lease lock builds on.
 */
export interface KeyedLock {
  readonly kind: 'process' | 'lease';
  run<T>(key: string, write: () => Promise<T>): Promise<T>;
}

/** One write per key at a time within this process (a promise chain per key). */
export function processLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    kind: 'process',
    async run(key, write) {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      try {
        return await write();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
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
 * One write per key at a time across every replica: a lease document whose `_id` is the key
 * in `collection`. A lease left by a crashed replica is taken over once `leaseMs` has passed;
 * a writer that waits longer than `waitMs` gets a 503. Same-process writers queue in memory
 * first, so only one of them polls the database.
 * @example const lock = leaseLock(conn, 'chat_locks'); await lock.run(chatId, () => write());
 */
export function leaseLock(conn: Connection, collection: string, opts: { leaseMs?: number; waitMs?: number } = {}): KeyedLock {
  const leaseMs = opts.leaseMs ?? 10_000;
  const waitMs = opts.waitMs ?? 5_000;
  const leases = conn.db!.collection<LeaseDoc>(collection);
  const local = processLock();

  async function acquire(key: string): Promise<string> {
    const owner = randomUUID();
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await leases.insertOne({ _id: key, owner, expiresAt: new Date(Date.now() + leaseMs) });
        return owner;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const held = await leases.findOne({ _id: key });
      if (held && held.expiresAt.getTime() < Date.now()) {
        await leases.deleteOne({ _id: key, owner: held.owner });
        continue;
      }
      if (Date.now() > deadline) throw unavailable('This chat is busy, try again');
      await new Promise((r) => setTimeout(r, Math.min(25, 1 + attempt) * (0.5 + Math.random())));
    }
  }

  return {
    kind: 'lease',
    run: (key, write) =>
      local.run(key, async () => {
        const owner = await acquire(key);
        try {
          return await write();
        } finally {
          await leases.deleteOne({ _id: key, owner }).catch(() => undefined);
        }
      }),
  };
}

/** Whether the server behind `conn` is FerretDB (its buildInfo carries `ferretdbVersion`). */
export async function isFerretDB(conn: Connection): Promise<boolean> {
  const info = await conn.db!.admin().command({ buildInfo: 1 }).catch(() => ({}) as Record<string, unknown>);
  return 'ferretdbVersion' in info;
}
