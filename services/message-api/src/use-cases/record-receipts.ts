import { randomUUID } from 'node:crypto';
import { checkDeadline } from '@chat/platform';
import { type ReceiptKind } from '../domain/message.js';
import { receiptHiddenFrom } from '../domain/visibility.js';
import type { PendingReceipt } from '../data/outbox-rows.js';
import { viewerOf, type MessageDeps } from './deps.js';

export type ReceiptInput = { chatId: string; messageIds: string[] };

/**
 * One receipt over many messages, under the chat's change lock so a message never gets the same
 * receipt twice (FerretDB loses concurrent updates of a document, and a read and a delivery of
 * one message are decided against each other). Any participant may give it, in any chat status,
 * but only the receiver of a message is recorded on it. In a blocked or rejected chat the event
 * is kept from the other participant's sockets (`hiddenFrom`): only the giver's own hear it.
 */
export async function recordReceipts(deps: MessageDeps, kind: ReceiptKind, userId: string, input: ReceiptInput) {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const hiddenFrom = receiptHiddenFrom(access);
  const at = new Date();
  const row = await deps.locks.run(access.chatId, async () => {
    checkDeadline();
    const { seq: newestSeq } = await deps.numbers.highest(access.chatId);
    const pending = await deps.repo.lackingReceipt(kind, viewer, [...new Set(input.messageIds)], newestSeq);
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
  void deps.outbox.background(deps.outbox.flushRead(row, { reapply: false }));
  return {
    chatId: access.chatId,
    messageIds: row.messageIds,
    timestamp: at.toISOString(),
  };
}
