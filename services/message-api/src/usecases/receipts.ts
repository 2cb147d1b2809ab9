import { randomUUID } from 'node:crypto';
import { checkDeadline } from '@chat/platform';
import { oid } from '../data/messages.js';
import type { ReadOutboxDoc } from '../data/models.js';
import { viewerOf, type MessageDeps } from './deps.js';

/**
 * Adds the reader once to `readBy` of each listed message of this chat that they received,
 * can see and have not read; other ids are ignored (API.md). Publishes one `read` event naming
 * exactly the messages this call marked (chat-api takes them off the unread count). Runs under
 * the chat's change lock, so a message is never marked twice. Answers the ids it marked.
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
    checkDeadline();
    const unread = await deps.repo.visibleTo(viewer).unreadAmong([...new Set(input.messageIds)]);
    if (unread.length === 0) return null;
    return deps.numbers.withRevs(access.chatId, unread.length, async (revs) => {
      const read: ReadOutboxDoc = {
        _id: randomUUID(),
        chatId: oid(access.chatId),
        readerId: oid(userId),
        messageIds: unread.map(oid),
        revs,
        readAt,
        clearedAt: viewer.clearedAt,
        state: 'pending',
        createdAt: readAt,
      };
      // The row first: if we crash after it, the relay applies the read and publishes it.
      await deps.readOutbox.insertOne(read);
      await deps.repo.markRead(access.chatId, userId, unread, revs, readAt);
      return read;
    });
  });
  if (!row) return { chatId: access.chatId, messageIds: [], timestamp: readAt.toISOString() };
  void deps.outbox.background(deps.outbox.flushRead(row, { reapply: false }));
  return {
    chatId: access.chatId,
    messageIds: row.messageIds.map((id) => id.toHexString()),
    timestamp: readAt.toISOString(),
  };
}
