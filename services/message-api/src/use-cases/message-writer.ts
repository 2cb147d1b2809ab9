import { randomUUID } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { groupCommit, type GroupCommit, type Logger } from '@chat/platform';
import { encodeEvent, messageEvent } from '../clients/event-publisher.js';
import type { EventOutbox } from './event-outbox.js';
import type { ChatNumbers } from '../data/chat-numbers.js';
import type { InsertOutcome, MessageRepository } from '../data/message-repository.js';
import type { MessageDoc } from '../data/message-documents.js';
import { blockFields } from '../domain/message-blocks.js';

/** A new message before it is numbered (and given its id and time). */
export type Draft = Omit<
  MessageDoc,
  '_id' | 'createdAt' | 'updatedAt' | 'seq' | 'rev' | 'seqBlock' | 'revBlock' | 'pendingEvents'
>;

export type WriteOutcome =
  /** Stored and durable; its `created` event is published (or left to the relay). */
  | { kind: 'stored'; doc: MessageDoc }
  /** The sender's clientMessageId was already used in the chat: nothing stored. */
  | { kind: 'duplicate' }
  /** Its caller had given up before the batch was written: nothing stored. */
  | { kind: 'expired' }
  /** The store refused this document (its neighbours in the batch are unaffected). */
  | { kind: 'refused' };

interface Submitted {
  draft: Draft;
  /** When the caller stops waiting (epoch ms). */
  deadline?: number;
}

/** A write this close to its caller's deadline is not started: the answer would arrive too late. */
const DEADLINE_MARGIN_MS = 50;
/** Attempts to number a message when a unique index says its numbers were taken (counters lost). */
const NUMBERING_ATTEMPTS = 3;

/**
 * Stores new messages by group commit: sends that arrive while a batch is being written go
 * together in the next one. A batch takes its per-chat numbers from Redis, writes the messages
 * with one `insertMany` and their `created` events with one outbox row (in parallel), answers
 * the senders (the messages are durable), then publishes the events and drops the row; a publish
 * that fails leaves the row for the relay.
 */
export class MessageWriter {
  private readonly commits: GroupCommit<Submitted, WriteOutcome>;

  constructor(
    private readonly repo: MessageRepository,
    private readonly numbers: ChatNumbers,
    private readonly outbox: EventOutbox,
    private readonly logger: Logger,
    opts: { maxBatch: number; maxQueued: number; concurrency: number },
  ) {
    this.commits = groupCommit({ ...opts, flush: (items) => this.flush(items) });
  }

  write(draft: Draft, deadline?: number): Promise<WriteOutcome> {
    return this.commits.submit({ draft, deadline });
  }

  private async flush(items: Submitted[]): Promise<WriteOutcome[]> {
    const outcomes: (WriteOutcome | undefined)[] = items.map((it) =>
      it.deadline !== undefined && Date.now() >= it.deadline - DEADLINE_MARGIN_MS ? { kind: 'expired' } : undefined,
    );
    let todo = items.flatMap((it, i) => (outcomes[i] ? [] : [{ i, draft: it.draft }]));
    for (let attempt = 1; todo.length > 0; attempt++) {
      const numbered = await this.numbered(todo.map((t) => t.draft));
      const docs = numbered.map((n) => n.doc);
      const stored = await this.store(numbered);
      const retry: typeof todo = [];
      const refused = new Map<string, { seq: number; rev: number }>();
      for (const [k, t] of todo.entries()) {
        const doc = docs[k] as MessageDoc;
        if (stored[k] === 'stored') outcomes[t.i] = { kind: 'stored', doc };
        else if (stored[k] === 'refused') outcomes[t.i] = { kind: 'refused' };
        else if (await this.clientIdTaken(doc)) outcomes[t.i] = { kind: 'duplicate' };
        else if (attempt < NUMBERING_ATTEMPTS) {
          retry.push(t);
          const chatId = doc.chatId.toHexString();
          const seen = refused.get(chatId);
          refused.set(chatId, { seq: Math.max(seen?.seq ?? 0, doc.seq), rev: Math.max(seen?.rev ?? 0, doc.rev) });
        } else throw new Error(`could not number a message of chat ${doc.chatId.toHexString()}`);
      }
      // Numbers refused by a unique index: the counters were behind the store; reseed them above.
      await Promise.all([...refused].map(([chatId, numbers]) => this.numbers.forget(chatId, numbers)));
      todo = retry;
    }
    return outcomes as WriteOutcome[];
  }

  /** Numbers the drafts per chat in submission order (one Redis call per chat), each with its event. */
  private async numbered(drafts: Draft[]): Promise<Numbered[]> {
    const byChat = new Map<string, number[]>();
    drafts.forEach((d, k) => {
      const chatId = d.chatId.toHexString();
      const ks = byChat.get(chatId);
      if (ks) ks.push(k);
      else byChat.set(chatId, [k]);
    });
    const docs: Numbered[] = new Array(drafts.length);
    await Promise.all(
      [...byChat].map(async ([chatId, ks]) => {
        const first = await this.numbers.take(chatId, ks.length, ks.length);
        ks.forEach((k, n) => (docs[k] = withNumbers(drafts[k] as Draft, first.seq + n, first.rev + n)));
      }),
    );
    return docs;
  }

  /** One insertMany and one outbox row, side by side; publishing starts once both are done. */
  private async store(numbered: Numbered[]): Promise<InsertOutcome[]> {
    const batchId = randomUUID();
    const docs = numbered.map((n) => n.doc);
    const events = numbered.map((n) => n.event);
    const [rowKept, stored] = await Promise.all([
      this.outbox.keepBatch(batchId, events).then(
        () => true,
        (err: unknown) => (this.logger.warn({ err }, 'send outbox row not written'), false),
      ),
      this.repo.insertMany(docs),
    ]).finally(() => this.settle(docs));
    const storedEvents = events.filter((_, k) => stored[k] === 'stored');
    const published = this.outbox.publishBatch(batchId, storedEvents, rowKept);
    // Without its outbox row a batch is answered only once its events are out, or kept after all.
    if (!rowKept && !(await published))
      await this.outbox
        .keepBatch(batchId, storedEvents)
        .catch((err: unknown) =>
          this.logger.error({ err, batchId }, 'created events neither published nor kept: only /changes shows these'),
        );
    return stored;
  }

  private settle(docs: MessageDoc[]): void {
    const revs = new Map<string, number[]>();
    for (const d of docs) revs.set(d.chatId.toHexString(), [...(revs.get(d.chatId.toHexString()) ?? []), d.rev]);
    for (const [chatId, rs] of revs)
      void this.numbers
        .settle(chatId, Math.min(...rs), rs.length)
        .catch((err: unknown) => this.logger.warn({ err, chatId }, 'in-flight revs not settled (they expire)'));
  }

  private async clientIdTaken(doc: MessageDoc): Promise<boolean> {
    const first = await this.repo.findByClientMessageId(
      doc.chatId.toHexString(),
      doc.senderId.toHexString(),
      doc.clientMessageId,
    );
    return first !== null && first.id !== doc._id.toHexString();
  }
}

interface Numbered {
  doc: MessageDoc;
  /** Its encoded `created` event. */
  event: string;
}

/** Id and time are given with the numbers, so (createdAt, _id) order agrees with seq order. */
function withNumbers(draft: Draft, seq: number, rev: number): Numbered {
  const chatId = draft.chatId.toHexString();
  const _id = new ObjectId();
  const createdAt = new Date();
  const created = messageEvent('created', chatId, {
    messageId: _id.toHexString(),
    rev,
    seq,
    senderId: draft.senderId.toHexString(),
    receiverId: draft.receiverId.toHexString(),
    content: draft.content,
    messageType: draft.messageType,
    media: draft.media,
    clientMessageId: draft.clientMessageId,
    replyTo: draft.replyTo ? draft.replyTo.toHexString() : null,
    createdAt: createdAt.toISOString(),
  });
  return {
    doc: {
      ...draft,
      _id,
      createdAt,
      updatedAt: createdAt,
      seq,
      rev,
      ...blockFields(chatId, seq, rev),
      pendingEvents: [],
    },
    event: encodeEvent(created),
  };
}
