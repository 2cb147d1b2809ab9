import { type Collection, type Filter, type UpdateFilter } from 'mongodb';
import { DUPLICATE_KEY, oid } from '@chat/platform';
import { BLOCK_SIZE, blockKey, blockOf, revBlockOf } from '../domain/message-blocks.js';
import type { ReceiptKind, StoredMessage } from '../domain/message.js';
import { reactionKey, type Viewer } from '../domain/visibility.js';
import type { ChatRevDoc, MessageDoc } from './message-documents.js';
import { ERASED_FIELDS } from './erased-fields.js';
import { toStored } from './message-codec.js';
import { VisibleMessages } from './visible-messages.js';
import { highestStoredNumbers } from './highest-numbers.js';
import { findEach } from './find-each.js';

export type InsertOutcome = 'stored' | 'duplicate' | 'refused';

/** A new `rev` and its block: every write that changes a message's rev sets both. */
const revFields = (chatId: string, rev: number) => ({ rev, revBlock: revBlockOf(chatId, rev) });

const unreadBy = (userId: string, extra: Filter<MessageDoc> = {}): Filter<MessageDoc> => ({
  ...extra,
  receiverId: oid(userId),
  'readBy.userId': { $ne: oid(userId) },
});

// A read message counts as delivered: neither receipt recorded for this receiver yet.
const undeliveredTo = (userId: string, extra: Filter<MessageDoc> = {}): Filter<MessageDoc> => ({
  ...unreadBy(userId, extra),
  'deliveredTo.userId': { $ne: oid(userId) },
});

/** One message of one chat. */
export interface MessageRef {
  chatId: string;
  messageId: string;
}

/**
 * What every change of a message writes with it: its new rev, its time, and its encoded event,
 * kept in the message until published (the outbox relay looks for it by `outboxPending`).
 */
export interface ChangeStamp {
  rev: number;
  at: Date;
  event: string;
}

/** A receipt recorded on messages the receiver got, each with its own rev (`revs[i]` for `messageIds[i]`). */
export interface ReceiptMarks {
  chatId: string;
  receiverId: string;
  messageIds: string[];
  revs: number[];
  at: Date;
}

const notDeletedForEveryone: Filter<MessageDoc> = { deletedForEveryone: { $ne: true } };

/** Writes and the few reads that are not per-viewer (idempotency, reply previews, changes feed). */
export class MessageRepository {
  constructor(
    readonly messages: Collection<MessageDoc>,
    private readonly chatRevs: Collection<ChatRevDoc>,
  ) {}

  visibleTo(viewer: Viewer): VisibleMessages {
    return new VisibleMessages(this.messages, viewer);
  }

  async findByClientMessageId(
    chatId: string,
    senderId: string,
    clientMessageId: string,
  ): Promise<StoredMessage | null> {
    // clientMessageId first: it leads the unique index, so FerretDB looks it up by its own index.
    const doc = await this.messages.findOne({ clientMessageId, chatId: oid(chatId), senderId: oid(senderId) });
    return doc ? toStored(doc) : null;
  }

  /** Any message of the chat, visible or not (cursor positions, reply previews). */
  async findInChat(chatId: string, ids: string[]): Promise<StoredMessage[]> {
    return (await findEach(this.messages, chatId, ids)).map(toStored);
  }

  /** The chat's highest stored seq and rev (to seed its counters). */
  async lastNumbers(chatId: string): Promise<{ seq: number; rev: number }> {
    const changed = await this.chatRevs.findOne({ _id: chatId });
    return highestStoredNumbers(this.messages, chatId, changed?.rev ?? 0);
  }

  /** Changes of the chat took revs up to `rev` (kept for `lastNumbers`). */
  async recordChangeRev(chatId: string, rev: number): Promise<void> {
    await this.chatRevs.updateOne({ _id: chatId }, { $max: { rev } }, { upsert: true });
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

  /** The chat's message of this seq, in any state (the relay checks a send was stored). */
  async findBySeq(chatId: string, seq: number): Promise<StoredMessage | null> {
    const doc = await this.messages.findOne({ seqBlock: blockKey(chatId, blockOf(seq)), seq });
    return doc ? toStored(doc) : null;
  }

  /** A message by id, in any chat and state (the relay checks a batch's messages were stored). */
  async findById(messageId: string): Promise<StoredMessage | null> {
    const doc = await this.messages.findOne({ _id: oid(messageId) });
    return doc ? toStored(doc) : null;
  }

  // ---- changes of one message: each true when it matched (its condition still held) ----

  /** New text by its sender, on a text message not deleted for everyone. */
  edit(ref: MessageRef, stamp: ChangeStamp, edit: { editorId: string; content: string }): Promise<boolean> {
    return this.change(
      ref,
      stamp,
      { senderId: oid(edit.editorId), messageType: 'text', ...notDeletedForEveryone },
      { $set: { content: edit.content, isEdited: true, editedAt: stamp.at } },
    );
  }

  /** Deleted for everyone: the tombstone keeps ids, numbers and times, nothing of what was said or sent. */
  tombstone(ref: MessageRef, stamp: ChangeStamp): Promise<boolean> {
    return this.change(ref, stamp, notDeletedForEveryone, {
      $set: { deletedForEveryone: true, deletedAt: stamp.at },
      $unset: ERASED_FIELDS,
    });
  }

  /** Deleted for one participant only: hidden from them, once. */
  hideFor(ref: MessageRef, stamp: ChangeStamp, userId: string): Promise<boolean> {
    return this.change(ref, stamp, { deletedBy: { $ne: oid(userId) } }, { $push: { deletedBy: oid(userId) } });
  }

  /** One reaction, once per (user, emoji), on a message not deleted for everyone; dated by the change. */
  addReaction(ref: MessageRef, stamp: ChangeStamp, reaction: { userId: string; emoji: string }): Promise<boolean> {
    const key = reactionKey(reaction.userId, reaction.emoji);
    return this.change(
      ref,
      stamp,
      { ...notDeletedForEveryone, reactionKeys: { $ne: key } },
      {
        $push: {
          reactions: { userId: oid(reaction.userId), emoji: reaction.emoji, createdAt: stamp.at },
          reactionKeys: key,
        },
      },
    );
  }

  /** Takes off the reaction exactly as stored (its own `createdAt`). */
  removeReaction(
    ref: MessageRef,
    stamp: ChangeStamp,
    reaction: { userId: string; emoji: string; createdAt: Date },
  ): Promise<boolean> {
    const key = reactionKey(reaction.userId, reaction.emoji);
    // The exact stored entry (same field order): FerretDB only $pulls by equality.
    const entry = { userId: oid(reaction.userId), emoji: reaction.emoji, createdAt: reaction.createdAt };
    return this.change(ref, stamp, { reactionKeys: key }, { $pullAll: { reactions: [entry], reactionKeys: [key] } });
  }

  /**
   * A conditional update of one message of one chat that gives it the stamp's rev (and the rev's
   * block) and keeps its event pending in the same write. `_id` stays at the top level of the
   * filter: FerretDB looks it up by index only there.
   */
  private async change(
    ref: MessageRef,
    stamp: ChangeStamp,
    condition: Filter<MessageDoc>,
    update: UpdateFilter<MessageDoc>,
  ): Promise<boolean> {
    const res = await this.messages.updateOne(
      { ...condition, _id: oid(ref.messageId), chatId: oid(ref.chatId) },
      {
        ...update,
        $set: { ...update.$set, updatedAt: stamp.at, outboxPending: true, ...revFields(ref.chatId, stamp.rev) },
        $push: { ...update.$push, pendingEvents: stamp.event },
        $min: { outboxAt: stamp.at },
      },
    );
    return res.matchedCount === 1;
  }

  /** Of `ids`, the messages the viewer received that still lack their receipt of this kind. */
  lackingReceipt(kind: ReceiptKind, viewer: Viewer, ids: string[], newestSeq: number): Promise<string[]> {
    const visible = this.visibleTo(viewer);
    return kind === 'read' ? visible.unreadAmong(ids, newestSeq) : visible.undeliveredAmong(ids, newestSeq);
  }

  /** The receiver read these messages (each one they received and had not read). */
  markRead(marks: ReceiptMarks): Promise<void> {
    const receiver = oid(marks.receiverId);
    return this.recordReceipt(marks, unreadBy(marks.receiverId), { readBy: { userId: receiver, readAt: marks.at } });
  }

  /** These messages reached the receiver (each one they received, had not read, and was not marked delivered). */
  markDelivered(marks: ReceiptMarks): Promise<void> {
    const receiver = oid(marks.receiverId);
    return this.recordReceipt(marks, undeliveredTo(marks.receiverId), {
      deliveredTo: { userId: receiver, deliveredAt: marks.at },
    });
  }

  /**
   * Records the receipt once on each message, each with its own rev, in rev order, so a
   * concurrent `/changes` reader sees a prefix, never a gap. One update per command: FerretDB 1.24
   * holds a PostgreSQL connection for each statement of a command until the command ends, so one
   * bulk write of as many statements as its pool has connections (50) never ends and stalls every
   * client of that FerretDB. It costs no more: FerretDB applies the statements of a bulk write one
   * by one anyway.
   */
  private async recordReceipt(
    marks: ReceiptMarks,
    condition: Filter<MessageDoc>,
    entry: UpdateFilter<MessageDoc>['$push'],
  ): Promise<void> {
    for (const [i, id] of marks.messageIds.entries()) {
      await this.messages.updateOne(
        { _id: oid(id), chatId: oid(marks.chatId), ...condition },
        { $push: entry, $set: { updatedAt: marks.at, ...revFields(marks.chatId, marks.revs[i] as number) } },
      );
    }
  }

  /**
   * Messages of the chat whose latest change came after `since` and at most `top`, in rev order:
   * whole blocks of revs from `since` on, until more than `limit` are found or `maxBlocks` blocks
   * were read. `examined`: every change up to it was looked at (a later call may start there).
   */
  async changedSince(
    chatId: string,
    opts: { since: number; top: number; limit: number; maxBlocks: number },
  ): Promise<{ items: StoredMessage[]; examined: number }> {
    const items: StoredMessage[] = [];
    let examined = opts.since;
    const last = Math.min(blockOf(opts.top), blockOf(opts.since + 1) + opts.maxBlocks - 1);
    for (let b = blockOf(opts.since + 1); b <= last && examined < opts.top; b++) {
      // Narrowed in FerretDB: it reads the block's rows either way, but sends only these.
      const docs = await this.messages
        .find({ revBlock: blockKey(chatId, b), rev: { $gt: opts.since, $lte: opts.top } })
        .sort({ rev: 1 })
        .limit(opts.limit + 1 - items.length)
        .toArray();
      items.push(...docs.map(toStored));
      examined = Math.min(opts.top, (b + 1) * BLOCK_SIZE - 1);
      if (items.length > opts.limit) break;
    }
    return { items, examined };
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

  /**
   * Messages with change events pending since before `cutoff` (looked up by the indexed flag, aged
   * in memory), each with when its oldest pending event was written, when known.
   */
  async withPendingEvents(cutoff: Date, limit: number): Promise<(StoredMessage & { outboxAt?: Date })[]> {
    const docs = await this.messages.find({ outboxPending: true }).limit(limit).toArray();
    return docs
      .filter((d) => !d.outboxAt || d.outboxAt <= cutoff)
      .map((d) => ({ ...toStored(d), ...(d.outboxAt && { outboxAt: d.outboxAt }) }));
  }
}
