import { isDuplicateKey, unavailable, type Redis } from '@chat/platform';

/** The numbers a write of one chat takes: `seq` for new messages, `rev` for every change. */
export interface TakenNumbers {
  /** The first of the seqs taken (the rest follow one by one). */
  seq: number;
  /** The first of the revs taken. */
  rev: number;
}

/**
 * New messages of one chat numbered together, whose `created` events are not known to be
 * published yet: `count` messages from `seq` and `rev` on, one each. Kept in Redis from their
 * numbering until their publish, instead of an outbox row in the store.
 */
export interface UnpublishedSends extends TakenNumbers {
  chatId: string;
  count: number;
  /** Its member of the sorted set (`<chatId>:<seq>:<rev>:<count>`). */
  mark: string;
}

const UNPUBLISHED_KEY = 'sends-unpublished';

// KEYS: the chat's counters (hash), its revs in flight (sorted set), the unpublished sends (sorted set).
// ARGV: seqs wanted, revs wanted, in-flight expiry (epoch ms), the seed (seq, rev) or '', chat id,
// when unpublished sends become the relay's (epoch ms).
// Answers the first seq and rev taken and the sends' mark ('' for no seqs), or nil when the
// counters are missing and no seed was given: the caller reads the store.
const TAKE = `
if redis.call('exists', KEYS[1]) == 0 then
  if ARGV[4] == '' then return false end
  redis.call('hset', KEYS[1], 'seq', ARGV[4], 'rev', ARGV[5])
end
local seqs, revs = tonumber(ARGV[1]), tonumber(ARGV[2])
local seq = redis.call('hincrby', KEYS[1], 'seq', seqs)
local rev = redis.call('hincrby', KEYS[1], 'rev', revs)
redis.call('pexpire', KEYS[1], ${7 * 24 * 3600 * 1000})
for r = rev - revs + 1, rev do redis.call('zadd', KEYS[2], r, ARGV[3] .. ':' .. r) end
redis.call('pexpire', KEYS[2], 60000)
local mark = ''
if seqs > 0 then
  mark = ARGV[6] .. ':' .. (seq - seqs + 1) .. ':' .. (rev - revs + 1) .. ':' .. seqs
  redis.call('zadd', KEYS[3], ARGV[7], mark)
end
return {seq - seqs + 1, rev - revs + 1, mark}`;

// KEYS: the chat's revs in flight, the unpublished sends. ARGV: first rev, count, the sends' mark or ''.
const SETTLE = `
redis.call('zremrangebyscore', KEYS[1], ARGV[1], tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
if ARGV[3] ~= '' then redis.call('zrem', KEYS[2], ARGV[3]) end
return 1`;

const parseMark = (mark: string): UnpublishedSends => {
  const [chatId = '', seq, rev, count] = mark.split(':');
  return { chatId, seq: Number(seq), rev: Number(rev), count: Number(count), mark };
};

/**
 * Per-chat numbering without a lock: Redis hands out `seq` and `rev` atomically, so concurrent
 * writers on any replica get distinct, increasing numbers. Counters missing from Redis (a
 * restart, a chat idle for a week) are seeded from the store's highest numbers; if a number is
 * still taken twice (a write in flight numbered before the loss, or a gap the store's search
 * looked past), the unique seq and rev indexes refuse the repeat, the writer calls `forget`
 * with the numbers refused, and the counters are seeded above them.
 *
 * Revs taken and not yet written are "in flight": the change feed stops below the lowest of
 * them, so a reader never steps past a change that is about to land with a smaller rev.
 */
export class ChatNumbers {
  /** Numbers a unique index refused, per chat: the next seed starts above them. */
  private readonly refused = new Map<string, TakenNumbers>();

  constructor(
    private readonly redis: Redis,
    private readonly store: {
      highestStored(chatId: string): Promise<TakenNumbers>;
      /** Keeps the highest rev changes took, beside their writes: the store cannot tell it otherwise. */
      recordChangeRev(chatId: string, rev: number): Promise<void>;
    },
    private readonly opts: { inFlightMs: number; unpublishedMs: number },
  ) {}

  private keys(chatId: string): [string, string] {
    return [`chat-numbers:${chatId}`, `chat-inflight:${chatId}`];
  }

  /**
   * Takes `seqs` new seqs and `revs` new revs of the chat; the revs count as in flight until
   * `settle`. New messages (seqs > 0) are also marked unpublished until `settle` is given their
   * mark; the relay takes over marks older than `unpublishedMs`.
   */
  async take(chatId: string, seqs: number, revs: number): Promise<TakenNumbers & { mark?: string }> {
    const now = Date.now();
    const [expiry, due] = [now + this.opts.inFlightMs, now + this.opts.unpublishedMs];
    const keys = [...this.keys(chatId), UNPUBLISHED_KEY];
    const run = (seed: string[]) =>
      (
        this.redis.eval(TAKE, 3, ...keys, seqs, revs, expiry, ...seed, chatId, due) as Promise<
          [number, number, string] | null
        >
      ).catch(() => {
        // Redis down: a 503 the client may retry (nothing was written).
        throw unavailable('The message numbering store is unavailable, try again');
      });
    let taken = await run(['', '']);
    if (!taken) {
      const top = await this.store.highestStored(chatId);
      const floor = this.refused.get(chatId) ?? { seq: 0, rev: 0 };
      this.refused.delete(chatId);
      taken = await run([String(Math.max(top.seq, floor.seq)), String(Math.max(top.rev, floor.rev))]);
    }
    if (!taken) throw new Error(`could not number a write of chat ${chatId}`);
    const [seq, rev, mark] = taken;
    return mark ? { seq: Number(seq), rev: Number(rev), mark } : { seq: Number(seq), rev: Number(rev) };
  }

  /** The highest seq and rev handed out so far (0 for a chat without messages). */
  async highest(chatId: string): Promise<TakenNumbers> {
    const [seq, rev] = await this.redis.hmget(this.keys(chatId)[0], 'seq', 'rev');
    if (seq !== null && rev !== null) return { seq: Number(seq), rev: Number(rev) };
    // Taking none seeds the counters from the store once, and answers the numbers after the highest.
    const next = await this.take(chatId, 0, 0);
    return { seq: next.seq - 1, rev: next.rev - 1 };
  }

  /**
   * Takes `count` revs (`revs[0]` the first), runs `write` with them, and settles them whatever
   * happened: the change feed waits for them exactly as long as the write takes. A rev the
   * store already holds (counters reseeded too low) fails the write as retryable, and the next
   * take starts above it.
   */
  async withRevs<T>(chatId: string, count: number, write: (revs: number[]) => Promise<T>): Promise<T> {
    const { rev } = await this.take(chatId, 0, count);
    try {
      const [result] = await Promise.all([
        write(Array.from({ length: count }, (_, i) => rev + i)),
        this.store.recordChangeRev(chatId, rev + count - 1),
      ]);
      return result;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await this.forget(chatId, { seq: 0, rev: rev + count - 1 });
      throw unavailable('The change was numbered twice, try again');
    } finally {
      await this.settle(chatId, rev, count);
    }
  }

  /**
   * The revs were written (or will never be): the feed may pass them. With `published`, the
   * mark of new messages whose `created` events are all out (or were never stored) goes too.
   */
  async settle(chatId: string, firstRev: number, count: number, published = ''): Promise<void> {
    const [, inFlight] = this.keys(chatId);
    await this.redis.eval(SETTLE, 2, inFlight, UNPUBLISHED_KEY, firstRev, count, published);
  }

  /**
   * Sends whose events their writer has not published within `unpublishedMs` (it failed or died),
   * oldest first, each with when it was numbered.
   */
  async unpublishedDue(limit: number): Promise<(UnpublishedSends & { takenAt: Date })[]> {
    const flat = await this.redis.zrangebyscore(UNPUBLISHED_KEY, '-inf', Date.now(), 'WITHSCORES', 'LIMIT', 0, limit);
    const due: (UnpublishedSends & { takenAt: Date })[] = [];
    // Members and scores alternate; a mark's score is when it became due.
    for (let i = 0; i + 1 < flat.length; i += 2) {
      due.push({ ...parseMark(flat[i] as string), takenAt: new Date(Number(flat[i + 1]) - this.opts.unpublishedMs) });
    }
    return due;
  }

  /** Every unpublished send of the chat, due or not (few: only batches between numbering and publish). */
  async unpublishedOf(chatId: string): Promise<UnpublishedSends[]> {
    const marks = await this.redis.zrange(UNPUBLISHED_KEY, 0, -1);
    return marks.filter((m) => m.startsWith(`${chatId}:`)).map(parseMark);
  }

  /** What was stored of the sends of this mark is published (by their writer, late, or by the relay). */
  async published(mark: string): Promise<void> {
    await this.redis.zrem(UNPUBLISHED_KEY, mark);
  }

  /** The counters were behind the store (a unique index refused `refused`): reseed above it on the next take. */
  async forget(chatId: string, refused: TakenNumbers): Promise<void> {
    const known = this.refused.get(chatId) ?? { seq: 0, rev: 0 };
    this.refused.set(chatId, { seq: Math.max(known.seq, refused.seq), rev: Math.max(known.rev, refused.rev) });
    if (this.refused.size > 10_000) this.refused.clear(); // only a loss of Redis fills it; never unbounded
    await this.redis.del(this.keys(chatId)[0]);
  }

  /**
   * The highest rev the change feed may show: below every rev still in flight (expired ones,
   * left by a writer that died, no longer hold it back). Infinity when nothing is in flight.
   */
  async feedLimit(chatId: string): Promise<number> {
    const [, inFlight] = this.keys(chatId);
    const now = Date.now();
    const held = await this.redis.zrange(inFlight, 0, 49, 'WITHSCORES');
    const expired: string[] = [];
    let limit = Infinity;
    for (let i = 0; i < held.length; i += 2) {
      const member = held[i] as string;
      if (Number(member.split(':')[0]) < now) expired.push(member);
      else {
        limit = Number(held[i + 1]) - 1;
        break;
      }
    }
    if (expired.length) await this.redis.zrem(inFlight, ...expired);
    return limit;
  }
}
