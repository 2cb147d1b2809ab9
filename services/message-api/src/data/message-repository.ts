import { type Collection, type Filter, type UpdateFilter } from 'mongodb';
import { DUPLICATE_KEY, oid } from '@chat/platform';
import type { ReceiptKind, StoredMessage } from '../domain/message.js';
import type { Viewer } from '../domain/visibility.js';
import type { MessageDoc } from './message-documents.js';

export type InsertOutcome = 'stored' | 'duplicate' | 'refused';

function toStored(d: MessageDoc): StoredMessage {
  return {
    id: d._id.toHexString(),
    chatId: d.chatId.toHexString(),
    senderId: d.senderId.toHexString(),
    receiverId: d.receiverId.toHexString(),
    content: d.content ?? '',
    messageType: d.messageType,
    media: d.media ?? null,
    clientMessageId: d.clientMessageId,
    seq: d.seq,
    rev: d.rev,
    isEdited: d.isEdited ?? false,
    editedAt: d.editedAt ?? null,
    readBy: (d.readBy ?? []).map((r) => ({ userId: r.userId.toHexString(), readAt: r.readAt })),
    deliveredTo: (d.deliveredTo ?? []).map((r) => ({ userId: r.userId.toHexString(), deliveredAt: r.deliveredAt })),
    deletedBy: (d.deletedBy ?? []).map((u) => u.toHexString()),
    deletedForEveryone: d.deletedForEveryone ?? false,
    replyTo: d.replyTo ? d.replyTo.toHexString() : null,
    reactions: (d.reactions ?? []).map((r) => ({
      userId: r.userId.toHexString(),
      emoji: r.emoji,
      createdAt: r.createdAt,
    })),
    reactionKeys: d.reactionKeys ?? [],
    pendingEvents: d.pendingEvents ?? [],
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** The filter that makes a query see only what `viewer` may see. */
function visibleFilter(viewer: Viewer): Filter<MessageDoc> {
  const filter: Filter<MessageDoc> = {
    chatId: oid(viewer.chatId),
    deletedForEveryone: { $ne: true },
    deletedBy: { $ne: oid(viewer.userId) },
  };
  if (viewer.clearedAt) filter.createdAt = { $gt: viewer.clearedAt };
  return filter;
}

/** Position of a message in (createdAt, _id) order, for `before` / `after` cursors. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

const NEWEST_FIRST = { createdAt: -1, _id: -1 } as const;
const OLDEST_FIRST = { createdAt: 1, _id: 1 } as const;

/**
 * Messages as one participant sees them. Every query goes through `scoped`, which ANDs the
 * visibility filter with the caller's conditions, so no query here can forget it.
 */
export class VisibleMessages {
  private readonly scope: Filter<MessageDoc>;

  constructor(
    private readonly messages: Collection<MessageDoc>,
    readonly viewer: Viewer,
  ) {
    this.scope = visibleFilter(viewer);
  }

  /**
   * The scope stays at the top level, beside an `$and` of the extra conditions: FerretDB pushes
   * only top-level equalities (here `chatId`) down to its index, and nothing inside `$and`.
   */
  private scoped(extra?: Filter<MessageDoc>): Filter<MessageDoc> {
    return extra ? { ...this.scope, $and: [extra] } : this.scope;
  }

  async findById(messageId: string): Promise<StoredMessage | null> {
    const doc = await this.messages.findOne(this.scoped({ _id: oid(messageId) }));
    return doc ? toStored(doc) : null;
  }

  /** A page in (createdAt, _id) order, optionally after/before a cursor, with the total matching. */
  async page(opts: {
    contentPattern?: string;
    /** Only messages whose seq lies in this range (both ends included). */
    seqRange?: { from: number; to: number };
    before?: Cursor;
    after?: Cursor;
    skip: number;
    limit: number;
  }): Promise<{ items: StoredMessage[]; total: number }> {
    const conditions: Filter<MessageDoc>[] = [];
    if (opts.seqRange) conditions.push({ seq: { $gte: opts.seqRange.from, $lte: opts.seqRange.to } });
    if (opts.contentPattern !== undefined) conditions.push({ content: { $regex: opts.contentPattern, $options: 'i' } });
    if (opts.before) conditions.push(beyond(opts.before, '$lt'));
    if (opts.after) conditions.push(beyond(opts.after, '$gt'));
    const filter = conditions.length ? this.scoped({ $and: conditions }) : this.scoped();
    const sort = opts.after ? OLDEST_FIRST : NEWEST_FIRST;
    const [docs, total] = await Promise.all([
      this.messages.find(filter).sort(sort).skip(opts.skip).limit(opts.limit).toArray(),
      this.messages.countDocuments(filter),
    ]);
    return { items: docs.map(toStored), total };
  }

  /** Of `ids`, the visible messages of this chat the viewer received and has not read. */
  async unreadAmong(ids: string[]): Promise<string[]> {
    const docs = await this.messages
      .find(this.scoped(unreadBy(this.viewer.userId, { _id: { $in: ids.map(oid) } })), { projection: { _id: 1 } })
      .toArray();
    return docs.map((d) => d._id.toHexString());
  }

  /** Of `ids`, the visible messages of this chat the viewer received that have not reached them yet (a read one has). */
  async undeliveredAmong(ids: string[]): Promise<string[]> {
    const docs = await this.messages
      .find(this.scoped(undeliveredTo(this.viewer.userId, { _id: { $in: ids.map(oid) } })), { projection: { _id: 1 } })
      .toArray();
    return docs.map((d) => d._id.toHexString());
  }
}

const unreadBy = (userId: string, extra: Filter<MessageDoc> = {}): Filter<MessageDoc> => ({
  ...extra,
  receiverId: oid(userId),
  'readBy.userId': { $ne: oid(userId) },
});

// A read message counts as delivered (API.md): neither receipt recorded for this receiver yet.
const undeliveredTo = (userId: string, extra: Filter<MessageDoc> = {}): Filter<MessageDoc> => ({
  ...unreadBy(userId, extra),
  'deliveredTo.userId': { $ne: oid(userId) },
});

const beyond = (c: Cursor, op: '$lt' | '$gt'): Filter<MessageDoc> => ({
  $or: [{ createdAt: { [op]: c.createdAt } }, { createdAt: c.createdAt, _id: { [op]: oid(c.id) } }],
});

/** Writes and the few reads that are not per-viewer (idempotency, reply previews, changes feed). */
export class MessageRepository {
  constructor(readonly messages: Collection<MessageDoc>) {}

  visibleTo(viewer: Viewer): VisibleMessages {
    return new VisibleMessages(this.messages, viewer);
  }

  async findByClientMessageId(
    chatId: string,
    senderId: string,
    clientMessageId: string,
  ): Promise<StoredMessage | null> {
    const doc = await this.messages.findOne({ chatId: oid(chatId), senderId: oid(senderId), clientMessageId });
    return doc ? toStored(doc) : null;
  }

  /** Any message of the chat, visible or not (cursor positions, reply previews). */
  async findInChat(chatId: string, ids: string[]): Promise<StoredMessage[]> {
    if (ids.length === 0) return [];
    const docs = await this.messages.find({ chatId: oid(chatId), _id: { $in: ids.map(oid) } }).toArray();
    return docs.map(toStored);
  }

  /** The chat's highest stored seq and rev (to seed its counters). */
  async lastNumbers(chatId: string): Promise<{ seq: number; rev: number }> {
    const [bySeq, byRev] = await Promise.all([
      this.messages
        .find({ chatId: oid(chatId) }, { projection: { seq: 1 } })
        .sort({ seq: -1 })
        .limit(1)
        .next(),
      this.messages
        .find({ chatId: oid(chatId) }, { projection: { rev: 1 } })
        .sort({ rev: -1 })
        .limit(1)
        .next(),
    ]);
    return { seq: bySeq?.seq ?? 0, rev: byRev?.rev ?? 0 };
  }

  /**
   * Inserts new messages in one round trip, each on its own (unordered). Answers per document
   * whether it was stored, refused by a unique index (its clientMessageId, seq or rev was
   * taken), or refused by the store for another reason (that one alone fails, not its batch).
   */
  async insertMany(docs: MessageDoc[]): Promise<InsertOutcome[]> {
    const outcome: InsertOutcome[] = docs.map(() => 'stored');
    try {
      await this.messages.insertMany(docs, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; code?: number; err?: { code?: number } }[] })
        .writeErrors;
      if (!writeErrors?.length) throw err;
      for (const w of writeErrors)
        outcome[w.index] = (w.code ?? w.err?.code) === DUPLICATE_KEY ? 'duplicate' : 'refused';
    }
    return outcome;
  }

  /** A message by id, in any chat and state (the relay checks a batch's messages were stored). */
  async findById(messageId: string): Promise<StoredMessage | null> {
    const doc = await this.messages.findOne({ _id: oid(messageId) });
    return doc ? toStored(doc) : null;
  }

  /** A conditional update of one message of one chat; true when it matched. */
  async update(
    chatId: string,
    messageId: string,
    condition: Filter<MessageDoc>,
    update: UpdateFilter<MessageDoc>,
  ): Promise<boolean> {
    const res = await this.messages.updateOne({ ...condition, _id: oid(messageId), chatId: oid(chatId) }, update);
    return res.matchedCount === 1;
  }

  /** Of `ids`, the messages the viewer received that still lack their receipt of this kind. */
  lackingReceipt(kind: ReceiptKind, viewer: Viewer, ids: string[]): Promise<string[]> {
    const visible = this.visibleTo(viewer);
    return kind === 'read' ? visible.unreadAmong(ids) : visible.undeliveredAmong(ids);
  }

  /**
   * Records the receiver's receipt once on each message (one it received and that lacks it),
   * each with its own rev, in rev order, so a concurrent `/changes` reader sees a prefix, never a
   * gap. One update per command: FerretDB 1.24 holds a PostgreSQL connection for each statement
   * of a command until the command ends, so one bulk write of as many statements as its pool has
   * connections (50) never ends and stalls every client of that FerretDB. It costs no more: FerretDB
   * applies the statements of a bulk write one by one anyway.
   */
  async recordReceipt(kind: ReceiptKind, chatId: string, userId: string, ids: string[], revs: number[], at: Date) {
    const receiver = oid(userId);
    const [condition, entry] =
      kind === 'read'
        ? [unreadBy(userId), { readBy: { userId: receiver, readAt: at } }]
        : [undeliveredTo(userId), { deliveredTo: { userId: receiver, deliveredAt: at } }];
    for (const [i, id] of ids.entries()) {
      await this.messages.updateOne(
        { _id: oid(id), chatId: oid(chatId), ...condition },
        { $push: entry, $set: { updatedAt: at, rev: revs[i] as number } },
      );
    }
  }

  /** Messages of the chat whose latest change came after `since`, in rev order. */
  async changedSince(chatId: string, since: number, limit: number): Promise<StoredMessage[]> {
    const docs = await this.messages
      .find({ chatId: oid(chatId), rev: { $gt: since } })
      .sort({ rev: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toStored);
  }

  // ---- outbox ----

  /** The event was published: drop it, and stop the relay looking once none is left (call under the chat lock). */
  async clearPendingEvent(messageId: string, raw: string): Promise<void> {
    await this.messages.updateOne({ _id: oid(messageId) }, { $pullAll: { pendingEvents: [raw] } });
    await this.messages.updateOne(
      { _id: oid(messageId), pendingEvents: { $size: 0 } },
      { $unset: { outboxAt: '', outboxPending: '' } },
    );
  }

  /** Messages with change events pending since before `cutoff` (looked up by the indexed flag, aged in memory). */
  async withPendingEvents(cutoff: Date, limit: number): Promise<StoredMessage[]> {
    const docs = await this.messages.find({ outboxPending: true }).limit(limit).toArray();
    return docs.filter((d) => !d.outboxAt || d.outboxAt <= cutoff).map(toStored);
  }
}
