import type { Collection } from 'mongodb';
import { unavailable } from '@chat/platform';
import type { CounterDoc } from './models.js';

export interface Allocation {
  chatId: string;
  /** The new message's seq, when one was asked for. */
  seq: number | null;
  /** Consecutive revs, one per change to write. */
  revs: number[];
  tokens: string[];
}

const tokenRev = (token: string) => Number(token.slice(0, token.indexOf(':')));
const tokenExpiry = (token: string) => Number(token.slice(token.indexOf(':') + 1));

/**
 * Per-chat `seq` and `rev` counters (collection `chat_counters`).
 *
 * A rev is handed out before its write lands, so two writers can land out of order. To keep
 * `/changes` gap-free, every allocation is recorded as pending until its writer releases it,
 * and readers only trust revs below the lowest pending one (`safeRev`). An allocation whose
 * writer crashed expires after `ttlMs`. Allocation is a compare-and-set on `v` (no transactions).
 */
export class ChatCounters {
  constructor(
    private readonly counters: Collection<CounterDoc>,
    private readonly ttlMs: number,
  ) {}

  async allocate(chatId: string, opts: { seq: boolean; revs: number }): Promise<Allocation> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const now = Date.now();
      const current = await this.counters.findOne({ _id: chatId });
      const seq = (current?.seq ?? 0) + (opts.seq ? 1 : 0);
      const first = (current?.rev ?? 0) + 1;
      const revs = Array.from({ length: opts.revs }, (_, i) => first + i);
      const tokens = revs.map((r) => `${r}:${now + this.ttlMs}`);
      const pending = [...(current?.pending ?? []).filter((t) => tokenExpiry(t) > now), ...tokens];
      const next = { seq, rev: first + opts.revs - 1, pending };
      if (!current) {
        try {
          await this.counters.insertOne({ _id: chatId, ...next, v: 1 });
          return { chatId, seq: opts.seq ? seq : null, revs, tokens };
        } catch (err) {
          if ((err as { code?: number }).code !== 11000) throw err;
          continue; // another writer created it first
        }
      }
      const res = await this.counters.updateOne({ _id: chatId, v: current.v }, { $set: next, $inc: { v: 1 } });
      if (res.modifiedCount === 1) return { chatId, seq: opts.seq ? seq : null, revs, tokens };
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * (attempt + 1))));
    }
    throw unavailable('Too many concurrent writes to this chat, try again');
  }

  /** The allocation's writes have landed (or given up): readers may move past its revs. */
  async release(allocation: Allocation): Promise<void> {
    await this.counters.updateOne({ _id: allocation.chatId }, { $pullAll: { pending: allocation.tokens }, $inc: { v: 1 } });
  }

  /** The highest rev below which every change of the chat is written. */
  async safeRev(chatId: string): Promise<number> {
    const doc = await this.counters.findOne({ _id: chatId });
    if (!doc) return 0;
    const now = Date.now();
    const inFlight = doc.pending.filter((t) => tokenExpiry(t) > now).map(tokenRev);
    return inFlight.length === 0 ? doc.rev : Math.min(doc.rev, Math.min(...inFlight) - 1);
  }
}
