import type { Collection } from 'mongodb';
import { oid } from '@chat/platform';
import { BLOCK_SIZE, blockKey, blockOf } from '../domain/message-blocks.js';
import type { StoredMessage } from '../domain/message.js';
import { isVisibleTo, type Viewer } from '../domain/visibility.js';
import type { MessageDoc } from './message-documents.js';
import { toStored } from './message-codec.js';
import { findAmongNewest } from './find-each.js';

/** A walk through one chat's messages in seq order, block by block. */
export interface Walk {
  /** The walk starts beside this seq, which it does not include. */
  from: number;
  /** `older`: descending seqs below `from`; `newer`: ascending seqs above it. */
  direction: 'older' | 'newer';
  /** The farthest seq the walk may reach (included). */
  bound: number;
  /** Counted messages passed over before collecting (page N starts after (N-1) × limit). */
  skip: number;
  limit: number;
  /** Only messages this accepts count (a search's match). */
  accept?: (m: StoredMessage) => boolean;
}

export interface WalkResult {
  items: StoredMessage[];
  /** Messages counted in the blocks examined, those skipped and collected included. */
  counted: number;
  /** The farthest seq examined. */
  reached: number;
  /** Nothing beyond `reached` can be visible: the viewer deleted the chat before it. */
  clearedBeyond: boolean;
}

/**
 * Messages as one participant sees them. Every read returns only what `isVisibleTo` lets the
 * viewer see, and every lookup is bounded: by `_id`, or by one block of one chat (its key holds
 * the chat id, so no read can leave the viewer's chat).
 */
export class VisibleMessages {
  constructor(
    private readonly messages: Collection<MessageDoc>,
    readonly viewer: Viewer,
  ) {}

  private visible(docs: (MessageDoc | null)[]): StoredMessage[] {
    return docs.flatMap((d) => (d ? [toStored(d)] : [])).filter((m) => isVisibleTo(m, this.viewer));
  }

  async findById(messageId: string): Promise<StoredMessage | null> {
    const doc = await this.messages.findOne({ _id: oid(messageId), chatId: oid(this.viewer.chatId) });
    return this.visible([doc])[0] ?? null;
  }

  /**
   * Walks the chat's blocks from `from` toward `bound` until `limit` messages are collected. Each
   * lookup is one block, narrowed to the walk's range and, for a page, to the messages still
   * wanted (FerretDB reads the block's rows either way, but encodes and sends only those).
   * A search reads whole blocks: `window` reports blocks. An older walk stops at the viewer's
   * deletion of the chat (seq order is createdAt order): everything before it is gone for them,
   * however long the history.
   */
  async walk(w: Walk): Promise<WalkResult> {
    const older = w.direction === 'older';
    const cleared = this.viewer.clearedAt?.getTime();
    const items: StoredMessage[] = [];
    let counted = 0;
    let reached = w.from;
    let clearedBeyond = false;
    const first = blockOf(older ? w.from - 1 : w.from + 1);
    const last = blockOf(w.bound);
    const more = () => items.length < w.limit && !clearedBeyond;
    const step = older ? -1 : 1;
    const within = (b: number) => (older ? b >= last && w.from > w.bound : b <= last && w.from < w.bound);
    const ahead = this.readAhead(w, first, step, within);
    for (let b = first; within(b); b += step) {
      // A page asks for the messages it still wants; some may prove hidden, then it asks again past them.
      for (let beyond = w.from, asked: number | undefined; ;) {
        const early = beyond === w.from ? ahead.get(b) : undefined;
        asked = early ? early.asked : w.accept ? undefined : w.skip + w.limit - counted;
        const docs = await (early?.docs ?? this.blockRange(b, { older, beyond, bound: w.bound, limit: asked }));
        for (const d of docs) {
          beyond = d.seq;
          if (older && cleared !== undefined && d.createdAt.getTime() <= cleared) clearedBeyond = true;
          const m = this.visible([d])[0];
          if (!m || (w.accept && !w.accept(m))) continue;
          counted++;
          if (counted > w.skip && items.length < w.limit) items.push(m);
        }
        if (asked === undefined || docs.length < asked || !more()) break;
      }
      reached = older ? Math.max(w.bound, b * BLOCK_SIZE) : Math.min(w.bound, (b + 1) * BLOCK_SIZE - 1);
      if (!more()) break;
    }
    return { items, counted, reached, clearedBeyond };
  }

  /**
   * For a page, the lookups of every block its seqs must span, started together: a page that
   * starts in the middle of a block needs the next one too, and waiting for one lookup before
   * starting the other would add a round trip to FerretDB. (A search cannot tell ahead how far
   * its matches are.)
   */
  private readAhead(w: Walk, first: number, step: number, within: (b: number) => boolean) {
    const ahead = new Map<number, { asked: number; docs: Promise<MessageDoc[]> }>();
    if (w.accept) return ahead;
    const older = w.direction === 'older';
    const asked = w.skip + w.limit;
    for (let b = first, spanned = 0; within(b) && spanned < asked; b += step) {
      const docs = this.blockRange(b, { older, beyond: w.from, bound: w.bound, limit: asked });
      docs.catch(() => undefined); // a lookup the walk stops before reading must not go unhandled
      ahead.set(b, { asked, docs });
      const [lo, hi] = older
        ? [Math.max(w.bound, b * BLOCK_SIZE), Math.min(w.from - 1, (b + 1) * BLOCK_SIZE - 1)]
        : [Math.max(w.from + 1, b * BLOCK_SIZE), Math.min(w.bound, (b + 1) * BLOCK_SIZE - 1)];
      spanned += hi - lo + 1;
    }
    return ahead;
  }

  /** Messages of one block of this chat beyond `beyond` up to `bound`, in walk order, whoever may see them (`walk` filters). */
  private blockRange(
    block: number,
    r: { older: boolean; beyond: number; bound: number; limit?: number },
  ): Promise<MessageDoc[]> {
    const seq = r.older ? { $lt: r.beyond, $gte: r.bound } : { $gt: r.beyond, $lte: r.bound };
    const found = this.messages
      .find({ seqBlock: blockKey(this.viewer.chatId, block), seq })
      .sort({ seq: r.older ? -1 : 1 });
    return (r.limit === undefined ? found : found.limit(r.limit)).toArray();
  }

  /** Of `ids`, the visible messages of this chat the viewer received and has not read (see findAmongNewest). */
  unreadAmong(ids: string[], newestSeq: number): Promise<string[]> {
    return this.receivedLacking(ids, newestSeq, (m) => !this.hasRead(m));
  }

  /** Of `ids`, the visible messages of this chat the viewer received that have not reached them yet (a read one has). */
  undeliveredAmong(ids: string[], newestSeq: number): Promise<string[]> {
    const { userId } = this.viewer;
    return this.receivedLacking(
      ids,
      newestSeq,
      (m) => !this.hasRead(m) && !m.deliveredTo.some((d) => d.userId === userId),
    );
  }

  private hasRead(m: StoredMessage): boolean {
    return m.readBy.some((r) => r.userId === this.viewer.userId);
  }

  private async receivedLacking(
    ids: string[],
    newestSeq: number,
    lacks: (m: StoredMessage) => boolean,
  ): Promise<string[]> {
    const docs = await findAmongNewest(this.messages, this.viewer.chatId, ids, newestSeq);
    const received = this.visible(docs).filter((m) => m.receiverId === this.viewer.userId);
    return received.filter(lacks).map((m) => m.id);
  }
}
