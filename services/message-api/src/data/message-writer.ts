import { ObjectId } from 'mongodb';
import { groupCommit, oid, type GroupCommit, type Logger } from '@chat/platform';
import { createdEvent } from '../domain/message-events.js';
import type { StoredMessage } from '../domain/message.js';
import { toStored } from './message-codec.js';
import type { EventOutbox } from './event-outbox.js';
import type { ChatNumbers } from './chat-numbers.js';
import type { InsertOutcome, MessageRepository } from './message-repository.js';
import type { MessageDoc } from './message-documents.js';
import { blockFields } from '../domain/message-blocks.js';

/** A new message before it is numbered (and given its id and time): what its sender said. */
export type Draft = Pick<
  StoredMessage,
  'chatId' | 'senderId' | 'receiverId' | 'content' | 'messageType' | 'media' | 'clientMessageId' | 'replyTo'
>;

export type WriteOutcome =
  /** Stored and durable; its `created` event is being published (or left to the relay). */
  | { kind: 'stored'; message: StoredMessage }
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
/** How long the change feed waits for a batch's events to be published before passing its revs. */
const SETTLE_WITHIN_MS = 200;
/** Attempts to number a message when a unique index says its numbers were taken (counters lost). */
const NUMBERING_ATTEMPTS = 3;

/** The numbers one chat's drafts of a batch took (settled once their events are out). */
interface ChatTake {
  chatId: string;
  rev: number;
  count: number;
  /** Marks the sends unpublished until their events are out (chat-numbers.ts). */
  mark: string;
}

/**
 * Stores new messages by group commit: sends that arrive while a batch is being written go
 * together in the next one. A batch takes its per-chat numbers from Redis (which also marks the
 * sends unpublished), writes the messages with one `insertMany`, answers the senders (the
 * messages are durable), then publishes their `created` events and drops the marks. A publish
 * that fails, or a writer that dies first, leaves the marks to the relay (event-outbox.ts): no
 * outbox row is written per batch.
 */
export class MessageWriter {
  private readonly commits: GroupCommit<Submitted, WriteOutcome>;
  /** Batches stored so far, counted only for the fault tests' crash (`crashAfterStore`). */
  private storedBatches = 0;

  constructor(
    private readonly repo: MessageRepository,
    private readonly numbers: ChatNumbers,
    private readonly outbox: EventOutbox,
    private readonly logger: Logger,
    private readonly opts: { maxBatch: number; maxQueued: number; concurrency: number; crashAfterStore?: number },
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
      const { docs, takes } = await this.numbered(todo.map((t) => t.draft));
      const stored = await this.store(docs, takes);
      const retry: typeof todo = [];
      const refused = new Map<string, { seq: number; rev: number }>();
      for (const [k, t] of todo.entries()) {
        const doc = docs[k] as MessageDoc;
        if (stored[k] === 'stored') outcomes[t.i] = { kind: 'stored', message: toStored(doc) };
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

  /** Numbers the drafts per chat in submission order (one Redis call per chat). */
  private async numbered(drafts: Draft[]): Promise<{ docs: MessageDoc[]; takes: ChatTake[] }> {
    const byChat = new Map<string, number[]>();
    drafts.forEach((d, k) => {
      const ks = byChat.get(d.chatId);
      if (ks) ks.push(k);
      else byChat.set(d.chatId, [k]);
    });
    const docs: MessageDoc[] = new Array(drafts.length);
    const takes = await Promise.all(
      [...byChat].map(async ([chatId, ks]): Promise<ChatTake> => {
        const first = await this.numbers.take(chatId, ks.length, ks.length);
        ks.forEach((k, n) => (docs[k] = withNumbers(drafts[k] as Draft, first.seq + n, first.rev + n)));
        return { chatId, rev: first.rev, count: ks.length, mark: first.mark ?? '' };
      }),
    );
    return { docs, takes };
  }

  /**
   * One insertMany; the stored messages' events are published in the background, then the
   * batch's numbers settled. A write that fails settles the revs but keeps the marks: some
   * messages may have been stored, and the relay publishes those.
   */
  private async store(docs: MessageDoc[], takes: ChatTake[]): Promise<InsertOutcome[]> {
    let stored: InsertOutcome[];
    try {
      stored = await this.repo.insertMany(docs);
    } catch (err) {
      this.settle(takes, false);
      throw err;
    }
    if (++this.storedBatches === this.opts.crashAfterStore) process.kill(process.pid, 'SIGKILL');
    const events = docs.flatMap((doc, k) => (stored[k] === 'stored' ? [createdEvent(toStored(doc), doc.rev)] : []));
    void this.settleOnPublish(this.outbox.background(this.outbox.publishAll(events)), takes);
    return stored;
  }

  /**
   * Settles the batch's revs and drops its marks in one Redis call once its events are out. The
   * change feed waits for those revs meanwhile, but not for a slow publish (JetStream away):
   * past SETTLE_WITHIN_MS the revs are settled alone, and the marks dropped if it succeeds.
   */
  private async settleOnPublish(published: Promise<boolean>, takes: ChatTake[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), SETTLE_WITHIN_MS)));
    const first = await Promise.race([published, slow]);
    clearTimeout(timer);
    if (first !== 'slow') return this.settle(takes, first);
    this.settle(takes, false);
    if (await published)
      for (const t of takes)
        void this.numbers
          .published(t.mark)
          .catch((err: unknown) =>
            this.logger.warn({ err, chatId: t.chatId }, 'send mark not dropped (relayed again)'),
          );
  }

  private settle(takes: ChatTake[], published: boolean): void {
    for (const t of takes)
      void this.numbers
        .settle(t.chatId, t.rev, t.count, published ? t.mark : '')
        .catch((err: unknown) =>
          this.logger.warn({ err, chatId: t.chatId }, 'in-flight revs not settled (they expire)'),
        );
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

/** Id and time are given with the numbers, so (createdAt, _id) order agrees with seq order. */
function withNumbers(draft: Draft, seq: number, rev: number): MessageDoc {
  const createdAt = new Date();
  return {
    chatId: oid(draft.chatId),
    senderId: oid(draft.senderId),
    receiverId: oid(draft.receiverId),
    content: draft.content,
    messageType: draft.messageType,
    media: draft.media,
    clientMessageId: draft.clientMessageId,
    isEdited: false,
    editedAt: null,
    readBy: [],
    deletedBy: [],
    deletedForEveryone: false,
    deletedAt: null,
    replyTo: draft.replyTo ? oid(draft.replyTo) : null,
    reactions: [],
    reactionKeys: [],
    _id: new ObjectId(),
    createdAt,
    updatedAt: createdAt,
    seq,
    rev,
    ...blockFields(draft.chatId, seq, rev),
    pendingEvents: [],
  };
}
