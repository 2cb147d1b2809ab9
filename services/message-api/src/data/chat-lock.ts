import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { unavailable } from '@chat/platform';

export interface LockDoc {
  _id: string; // the chat id
  owner: string;
  expiresAt: Date;
}

/**
 * One writer per chat at a time, across replicas (collection `chat_locks`).
 *
 * FerretDB 1.24 applies an update as read-modify-write without isolation: concurrent `$inc`,
 * `$push` or compare-and-set updates of one document silently lose writes (measured: 20
 * concurrent `$inc` -> 7). The one primitive it makes exclusive is a unique-key insert, so
 * the lock is an insert of `_id = chatId`. Under it, every change of the chat's messages is
 * applied alone, which also makes seq/rev allocation a plain read of the current maximum.
 * A holder that crashed is ignored once `expiresAt` has passed.
 */
export class ChatLocks {
  /** Writers of this process queue here first, so only one per chat polls the database. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly locks: Collection<LockDoc>,
    private readonly ttlMs: number,
    private readonly waitMs = 5_000,
  ) {}

  async withLock<T>(chatId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(chatId) ?? Promise.resolve();
    let done!: () => void;
    const mine = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.queues.set(chatId, mine);
    await previous;
    try {
      return await this.withSharedLock(chatId, fn);
    } finally {
      done();
      if (this.queues.get(chatId) === mine) this.queues.delete(chatId);
    }
  }

  private async withSharedLock<T>(chatId: string, fn: () => Promise<T>): Promise<T> {
    const owner = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.locks.insertOne({ _id: chatId, owner, expiresAt: new Date(Date.now() + this.ttlMs) });
        break;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const holder = await this.locks.findOne({ _id: chatId });
      if (holder && holder.expiresAt.getTime() < Date.now()) {
        await this.locks.deleteOne({ _id: chatId, owner: holder.owner });
        continue;
      }
      if (Date.now() > deadline) throw unavailable('This chat is busy, try again');
      await new Promise((r) => setTimeout(r, Math.min(25, 1 + attempt) * (0.5 + Math.random())));
    }
    try {
      return await fn();
    } finally {
      await this.locks.deleteOne({ _id: chatId, owner });
    }
  }
}
