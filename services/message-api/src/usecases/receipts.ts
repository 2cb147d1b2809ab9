import { randomUUID } from 'node:crypto';
import { checkDeadline } from '@chat/platform';
import { oid, type ReceiptKind } from '../data/messages.js';
import type { ReadOutboxDoc } from '../data/models.js';
import { viewerOf, type MessageDeps } from './deps.js';

type ReceiptInput = { chatId: string; messageIds: string[] };

/**
 * Adds the reader once to `readBy` of each listed message of this chat that they received,
 * can see and have not read; other ids are ignored (API.md). Publishes one `read` event naming
 * exactly the messages this call marked (chat-api takes them off the unread count). Answers
 * the ids it marked.
 */
export const markMessagesRead = (deps: MessageDeps, userId: string, input: ReceiptInput) =>
  recordReceipts(deps, 'read', userId, input);

/**
 * Delivery receipts (API.md, "Beyond the specification"): records `{ userId, deliveredAt }` once
 * in `deliveredTo` of each listed message of this chat that the caller received and can see;
 * ids of other chats, the caller's own messages and messages already delivered or read (a read
 * message counts as delivered) are ignored. Publishes one `delivered` event naming exactly the
 * messages this call recorded (the room gets `messages_delivered`), none when it recorded
 * nothing. Answers the ids it recorded.
 *
 * Each recorded message takes a new rev, as a read does: the change feed then carries the
 * delivery, so a sender who was offline sees the tick after catching up through `/changes`.
 */
export const markMessagesDelivered = (deps: MessageDeps, userId: string, input: ReceiptInput) =>
  recordReceipts(deps, 'delivered', userId, input);

/**
 * One receipt over many messages, under the chat's change lock so a message never gets the same
 * receipt twice (FerretDB loses concurrent updates of a document, and a read and a delivery of
 * one message are decided against each other). Any participant may give it, in any chat status,
 * but only the receiver of a message is recorded on it.
 */
async function recordReceipts(deps: MessageDeps, kind: ReceiptKind, userId: string, input: ReceiptInput) {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const at = new Date();
  const row = await deps.locks.run(access.chatId, async () => {
    checkDeadline();
    const pending = await deps.repo.lackingReceipt(kind, viewer, [...new Set(input.messageIds)]);
    if (pending.length === 0) return null;
    return deps.numbers.withRevs(access.chatId, pending.length, async (revs) => {
      const receipt: ReadOutboxDoc = {
        _id: randomUUID(),
        ...(kind === 'delivered' ? { kind } : {}),
        chatId: oid(access.chatId),
        readerId: oid(userId),
        messageIds: pending.map(oid),
        revs,
        readAt: at,
        clearedAt: viewer.clearedAt,
        state: 'pending',
        createdAt: at,
      };
      // The row first: if we crash after it, the relay applies the receipt and publishes it.
      await deps.readOutbox.insertOne(receipt);
      await deps.repo.recordReceipt(kind, access.chatId, userId, pending, revs, at);
      return receipt;
    });
  });
  if (!row) return { chatId: access.chatId, messageIds: [], timestamp: at.toISOString() };
  void deps.outbox.background(deps.outbox.flushRead(row, { reapply: false }));
  return {
    chatId: access.chatId,
    messageIds: row.messageIds.map((id) => id.toHexString()),
    timestamp: at.toISOString(),
  };
}
