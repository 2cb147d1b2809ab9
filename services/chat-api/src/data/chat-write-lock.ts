import type { Connection } from 'mongoose';
import { isFerretDB, leaseLock, processLock, type KeyedLock, type Logger } from '@chat/platform';

/** Every write of one chat document runs inside `run(chatId, ...)`. */
export type ChatWriteLock = KeyedLock;

/**
 * `auto`: the cross-replica lease lock on FerretDB, whose concurrent updates of one document
 * lose writes; the in-process lock on MongoDB, whose single-document updates are atomic.
 */
export async function chatWriteLock(conn: Connection, mode: 'auto' | 'process' | 'shared', logger: Logger): Promise<ChatWriteLock> {
  const shared = mode === 'shared' || (mode === 'auto' && (await isFerretDB(conn)));
  logger.info({ chatWriteLock: shared ? 'lease' : 'process' }, 'chat write serialization');
  return shared ? leaseLock(conn, 'chat_write_locks', { leaseMs: 5_000 }) : processLock();
}
