import { redisLock, type KeyedLock, type Redis } from '@chat/platform';

/**
 * One writer per chat across every replica, on MongoDB and FerretDB alike: FerretDB 1.24 applies
 * an update as read-modify-write without isolation, and every writer reads a chat, decides and
 * writes it back, which is only current while nobody else writes that chat. The writers: the
 * commands (ChatRepository.edit: or-create, accept, reject, block, unblock, archive, delete), the
 * message projection (ProjectionRepository.apply) and the outbox (drainOutbox, by the writer
 * itself before it lets go, or by the relay). One hold = read, decide, write, publish the outbox.
 */
export class ChatWriteLock implements KeyedLock {
  private readonly lock: KeyedLock;

  constructor(redis: Redis) {
    this.lock = redisLock(redis, 'chat-write', { leaseMs: 10_000, waitMs: 5_000 });
  }

  /** Runs `write` holding chat `chatId`'s lock; `fence` grows with every hold of it. */
  run<T>(chatId: string, write: (fence: number) => Promise<T>): Promise<T> {
    return this.lock.run(chatId, write);
  }
}
