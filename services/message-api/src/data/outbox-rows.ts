import type { Collection } from 'mongodb';
import { oid } from '@chat/platform';
import type { ReceiptKind } from '../domain/message.js';
import type { ReceiptOutboxDoc, SendOutboxDoc } from './message-documents.js';

/** A receipt (read or delivered) over many messages, kept until its event is published. */
export interface PendingReceipt {
  /** The event id. */
  id: string;
  kind: ReceiptKind;
  chatId: string;
  /** The receiver who read the messages, or whom they reached. */
  receiverId: string;
  messageIds: string[];
  revs: number[];
  /** When they were read, or delivered. */
  at: Date;
  clearedAt: Date | null;
  /** Users whose sockets the event is kept from, if any. */
  hiddenFrom: string[];
  createdAt: Date;
}

/** The `created` events of one batch of sends, as a previous version kept them. */
export interface PendingSendBatch {
  id: string;
  /** Encoded events (message-codec.ts), one per message of the batch. */
  events: string[];
  createdAt: Date;
}

/**
 * The outbox rows: receipts written before they are applied (a receipt spans many messages),
 * and the send batches of a previous version. Every lookup is the relay's equality on the
 * indexed `state`.
 */
export class OutboxRows {
  constructor(
    private readonly collections: {
      receiptOutbox: Collection<ReceiptOutboxDoc>;
      sendOutbox: Collection<SendOutboxDoc>;
    },
  ) {}

  /** Keeps a receipt until `dropReceipt`: written before the receipt is applied, so the relay can finish it. */
  async addReceipt(r: PendingReceipt): Promise<void> {
    await this.collections.receiptOutbox.insertOne({
      _id: r.id,
      // Rows of reads carry no kind (as before delivery receipts existed).
      ...(r.kind === 'delivered' ? { kind: r.kind } : {}),
      chatId: oid(r.chatId),
      readerId: oid(r.receiverId),
      messageIds: r.messageIds.map(oid),
      revs: r.revs,
      readAt: r.at,
      clearedAt: r.clearedAt,
      ...(r.hiddenFrom.length > 0 && { hiddenFrom: r.hiddenFrom }),
      state: 'pending',
      createdAt: r.createdAt,
    });
  }

  async pendingReceipts(limit: number): Promise<PendingReceipt[]> {
    const rows = await this.collections.receiptOutbox.find({ state: 'pending' }).limit(limit).toArray();
    return rows.map((row) => ({
      id: row._id,
      kind: row.kind ?? 'read',
      chatId: row.chatId.toHexString(),
      receiverId: row.readerId.toHexString(),
      messageIds: row.messageIds.map((id) => id.toHexString()),
      revs: row.revs,
      at: row.readAt,
      clearedAt: row.clearedAt,
      hiddenFrom: row.hiddenFrom ?? [],
      createdAt: row.createdAt,
    }));
  }

  async dropReceipt(id: string): Promise<void> {
    await this.collections.receiptOutbox.deleteOne({ _id: id });
  }

  async pendingSendBatches(limit?: number): Promise<PendingSendBatch[]> {
    const found = this.collections.sendOutbox.find({ state: 'pending' });
    const rows = await (limit === undefined ? found : found.limit(limit)).toArray();
    return rows.map((row) => ({ id: row._id, events: row.events, createdAt: row.createdAt }));
  }

  async dropSendBatch(id: string): Promise<void> {
    await this.collections.sendOutbox.deleteOne({ _id: id });
  }
}
