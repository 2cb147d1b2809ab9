import { redisLock, type KeyedLock, type Redis } from '@chat/platform';

/** Every write of one existing chat document runs inside `run(chatId, ...)`. */
export type ChatWriteLock = KeyedLock;

/**
 * One writer per chat across every replica, on MongoDB and FerretDB alike: FerretDB 1.24 applies
 * an update as read-modify-write without isolation, and every writer reads a chat, decides and
 * writes it back, which is only current while nobody else writes that chat. The writers: the
 * commands (chatRepository.edit: or-create, accept, reject, block, unblock, archive, delete), the
 * message projection (projectionRepository.apply) and the outbox (drainOutbox, by the writer
 * itself before it lets go, or by the relay). One hold = read, decide, write, publish the outbox.
 */
export function chatWriteLock(redis: Redis): ChatWriteLock {
  return redisLock(redis, 'chat-write', { leaseMs: 10_000, waitMs: 5_000 });
}
