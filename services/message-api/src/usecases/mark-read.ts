import { randomUUID } from 'node:crypto';
import { oid } from '../data/messages.js';
import type { ReadOutboxDoc } from '../data/models.js';
import { viewerOf, type MessageDeps } from './deps.js';

/**
 * Adds the reader once to `readBy` of each listed message of this chat that they received,
 * can see and have not read; other ids are ignored (API.md). Publishes one `read` event with
 * the reader's unread count left. Answers the ids that this call marked.
 */
export async function markMessagesRead(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; messageIds: string[] },
) {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const readAt = new Date();
  const row = await deps.locks.run(access.chatId, async () => {
    const unread = await deps.repo.visibleTo(viewer).unreadAmong([...new Set(input.messageIds)]);
    if (unread.length === 0) return null;
    const { rev } = await deps.repo.lastNumbers(access.chatId);
    const read: ReadOutboxDoc = {
      _id: randomUUID(),
      chatId: oid(access.chatId),
      readerId: oid(userId),
      messageIds: unread.map(oid),
      revs: unread.map((_, i) => rev + 1 + i),
      readAt,
      clearedAt: viewer.clearedAt,
      createdAt: readAt,
    };
    // The row first: if we crash after it, the relay applies the read and publishes it.
    await deps.readOutbox.insertOne(read);
    await deps.repo.markRead(access.chatId, userId, unread, read.revs, readAt);
    return read;
  });
  if (!row) return { chatId: access.chatId, messageIds: [], timestamp: readAt.toISOString() };
  await deps.outbox.afterWrite(() => deps.outbox.flushRead(row, { reapply: false }));
  return {
    chatId: access.chatId,
    messageIds: row.messageIds.map((id) => id.toHexString()),
    timestamp: readAt.toISOString(),
  };
}
