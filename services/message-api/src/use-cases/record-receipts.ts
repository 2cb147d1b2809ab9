import { randomUUID } from 'node:crypto';
import { checkDeadline } from '@chat/platform';
import { type ReceiptKind } from '../domain/message.js';
import { receiptHiddenFrom, viewerOf } from '../domain/visibility.js';
import type { PendingReceipt } from '../data/outbox-rows.js';
import { type MessageDeps } from './deps.js';

/** The caller `userId` read (`read`) or received (`delivered`) these messages of the chat. */
export interface RecordReceiptsCommand {
  userId: string;
  kind: ReceiptKind;
  chatId: string;
  messageIds: string[];
}

/**
 * Records one receipt over many messages: the caller read them (`mark_as_read`) or they reached
 * the caller (`mark_as_delivered`, docs/api-guide.md, "Delivery receipts"). Only listed messages
 * of this chat that the caller received, can see and lacks this receipt for are recorded; other
 * ids are ignored (a read message counts as delivered). Each recorded message takes a new rev, so
 * the change feed carries the receipt (a sender who was offline sees the tick after catching up
 * through `/changes`). Publishes one `read` or `delivered` event naming exactly the messages this
 * call recorded (chat-api takes the read ones off the unread count), none when it recorded
 * nothing. Answers the ids it recorded.
 *
 * Under the chat's change lock, so a message never gets the same receipt twice (FerretDB loses
 * concurrent updates of a document, and a read and a delivery of one message are decided
 * against each other). Any participant may give it, in any chat status; in a blocked or rejected
 * chat the event is kept from the other participant's sockets (`hiddenFrom`): only the giver's
 * own hear it.
 */
export async function recordReceipts(deps: MessageDeps, command: RecordReceiptsCommand) {
  const { userId, kind } = command;
  const access = await deps.access.check(command.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const hiddenFrom = receiptHiddenFrom(access);
  const at = new Date();
  const row = await deps.locks.run(access.chatId, async () => {
    checkDeadline();
    const { seq: newestSeq } = await deps.numbers.highest(access.chatId);
    const pending = await deps.repo.lackingReceipt(kind, viewer, [...new Set(command.messageIds)], newestSeq);
    if (pending.length === 0) return null;
    return deps.numbers.withRevs(access.chatId, pending.length, async (revs) => {
      const receipt: PendingReceipt = {
        id: randomUUID(),
        kind,
        chatId: access.chatId,
        receiverId: userId,
        messageIds: pending,
        revs,
        at,
        clearedAt: viewer.clearedAt,
        hiddenFrom,
        createdAt: at,
      };
      // The outbox row first: if we crash after it, the relay applies the receipt and publishes it.
      await deps.outboxRows.addReceipt(receipt);
      const marks = { chatId: access.chatId, receiverId: userId, messageIds: pending, revs, at };
      await (kind === 'read' ? deps.repo.markRead(marks) : deps.repo.markDelivered(marks));
      return receipt;
    });
  });
  if (!row) return { chatId: access.chatId, messageIds: [], timestamp: at.toISOString() };
  void deps.outbox.background(deps.outbox.flushReceipt(row, { reapply: false }));
  return {
    chatId: access.chatId,
    messageIds: row.messageIds,
    timestamp: at.toISOString(),
  };
}
