import type { Message, Tombstone } from './types.js';

/** What the app is told, once per change, in the order the store applied them. */
export type StoreChange =
  | { kind: 'message'; message: Message }
  | { kind: 'update'; message: Message; previous: Message }
  | { kind: 'remove'; message: Message };

/** A partial change a live event carries; each kind commutes with the others, so order does not matter. */
export type Delta =
  | { type: 'edit'; rev: number; content: string; editedAt: string }
  | { type: 'reaction'; rev: number; userId: string; emoji: string; added: boolean; at: string }
  | { type: 'read'; rev: number; userId: string; at: string }
  | { type: 'delivered'; rev: number; userId: string; at: string };

/** A held message and how fresh each part of it is (per-field revs make out-of-order events safe). */
interface Entry {
  message: Message;
  /** Rev of the last full state applied: every part is at least this fresh. */
  baseRev: number;
  contentRev: number;
  /** Rev of the last add or remove applied per `userId:emoji`, when newer than `baseRev`. */
  reactionRevs: Map<string, number>;
}

const reactionKey = (userId: string, emoji: string) => `${userId}:${emoji}`;

/** The parts of a message a user sees; an update that leaves them equal is not announced. */
const visible = (m: Message) =>
  JSON.stringify([
    m.content,
    m.isEdited,
    m.editedAt ?? null,
    m.media ?? null,
    m.replyTo ?? null,
    m.reactions.map((r) => reactionKey(r.userId, r.emoji)).sort(),
    m.readBy.map((r) => r.userId).sort(),
    m.deliveredTo.map((d) => d.userId).sort(),
  ]);

function unionBy<T>(a: T[], b: T[], key: (x: T) => string): T[] {
  const seen = new Set(a.map(key));
  return [...a, ...b.filter((x) => !seen.has(key(x)))];
}

/**
 * One chat's messages as the app sees them, rebuilt from three sources that may overlap and
 * arrive in any order: REST pages, the `/changes` feed (whole messages in `rev` order) and live
 * socket events (whole new messages, or partial changes). Pure: no I/O, no timers.
 *
 * - Each message is announced once (`message`), each real change once (`update` / `remove`).
 * - New messages are announced in `seq` order: a live one that skips a seq waits (`gap`) until
 *   the missing one arrives, live or through the feed, and while the caller syncs (`beginSync`
 *   .. `endSync`) new messages are announced together at the end, sorted.
 * - A change older than what is held is not applied twice nor over a newer one.
 * - The cursor follows live events while their revs run on from it; a rev they skip
 *   (`hasRevGap`) is left to the feed.
 */
export class MessageStore {
  private readonly entries = new Map<string, Entry>();
  /** Removed ids with the rev that removed them: later copies with a lower rev are stale. */
  private readonly gone = new Map<string, number>();
  /** Live new messages held back until a sync closes the gap before them. */
  private readonly waiting = new Map<string, { message: Message; replyKnown: boolean }>();
  /** New messages applied during a sync, announced when it ends. */
  private readonly deferred = new Set<string>();
  private syncing = 0;
  private sortedCache: Message[] | undefined;
  private feedCursor = 0;
  /**
   * Revs above the cursor that live events brought and the store applied. Gateways no longer
   * redeliver a live event they missed, so a rev between the cursor and these may be lost:
   * `hasRevGap` tells the caller, and the feed closes it.
   */
  private readonly liveRevs = new Set<number>();
  /** Highest seq known (held, removed or tombstoned): a live message right after it is next. */
  maxSeq = 0;
  /** Messages below this seq are not loaded (older history): feed entries for them are skipped. */
  floorSeq = 0;
  /** Id of the oldest message loaded, the `before` cursor for older history. */
  oldestId: string | undefined;

  constructor(private readonly announce: (change: StoreChange) => void) {}

  /** The feed cursor: every change up to it has been applied. */
  get cursor(): number {
    return this.feedCursor;
  }
  set cursor(rev: number) {
    this.feedCursor = rev;
    for (const seen of this.liveRevs) if (seen <= rev) this.liveRevs.delete(seen);
    this.advanceCursor();
  }

  /**
   * Revs of a live event the store applied whole (a change it could not apply is left to the
   * feed: the cursor must not pass it). The cursor moves over them only while they continue it
   * without a hole; past a hole it is the feed's to move.
   */
  noteLive(revs: readonly number[]): void {
    for (const rev of revs) if (Number.isInteger(rev) && rev > this.feedCursor) this.liveRevs.add(rev);
    this.advanceCursor();
  }

  /** A rev between the cursor and one seen live is missing: lost, still on its way, or never shown to me (only the feed tells). */
  get hasRevGap(): boolean {
    return this.liveRevs.size > 0;
  }

  /** Held messages in `seq` order. */
  get messages(): Message[] {
    this.sortedCache ??= [...this.entries.values()]
      .filter((e) => !this.deferred.has(e.message._id))
      .map((e) => e.message)
      .sort((a, b) => a.seq - b.seq);
    return this.sortedCache;
  }

  get(messageId: string): Message | undefined {
    return this.deferred.has(messageId) ? undefined : this.entries.get(messageId)?.message;
  }

  /** True when the message is held, waiting, or known to be gone. */
  knows(messageId: string): boolean {
    return this.entries.has(messageId) || this.waiting.has(messageId) || this.gone.has(messageId);
  }

  beginSync(): void {
    this.syncing++;
  }

  /**
   * Ends a sync: announces what it brought in `seq` order, then the live messages that waited,
   * except those still past a missing seq: one that landed live after the feed's last page may
   * have a lower-seq message still being written (`hasWaiting` tells the caller to sync again).
   */
  endSync(): void {
    if (--this.syncing > 0) return;
    const fresh = [...this.deferred].map((id) => this.entries.get(id)!.message).sort((a, b) => a.seq - b.seq);
    this.deferred.clear();
    this.sortedCache = undefined;
    for (const message of fresh) this.announce({ kind: 'message', message });
    // The feed brought each message up to its cursor (a seq it skipped is not coming); a reply
    // target it did not bring is older history.
    this.releaseWaiting((m) => m.seq <= this.maxSeq + 1);
  }

  /** The newest page of `/messages` (newest first): the window starts at its oldest message, unless it is the whole chat. */
  loadNewest(page: Message[], wholeChat: boolean): void {
    for (const m of page) this.applyState(m);
    const oldest = page[page.length - 1];
    this.oldestId = oldest?._id;
    this.floorSeq = wholeChat || !oldest ? 0 : oldest.seq;
    this.cursor = Math.max(this.cursor, ...page.map((m) => m.rev));
  }

  /** An older page (`before`, newest first): held without being announced as new; returns what was added, in seq order. */
  addHistory(page: Message[], reachedFirst: boolean): Message[] {
    const added: Message[] = [];
    for (const m of page) {
      if (this.entries.has(m._id) || this.gone.has(m._id)) continue;
      this.entries.set(m._id, { message: m, baseRev: m.rev, contentRev: m.rev, reactionRevs: new Map() });
      added.push(m);
    }
    const oldest = page[page.length - 1];
    if (oldest) {
      this.oldestId = oldest._id;
      this.floorSeq = Math.min(this.floorSeq, oldest.seq);
    }
    if (reachedFirst) this.floorSeq = 0;
    this.sortedCache = undefined;
    return added.sort((a, b) => a.seq - b.seq);
  }

  /** One `/changes` entry: a whole message, or a tombstone. */
  applyChange(change: Message | Tombstone): void {
    if ('isDeleted' in change && change.isDeleted === true) this.remove(change._id, change.rev, change.seq);
    else this.applyState(change as Message);
  }

  /**
   * A new message from a live event. `gap` when it cannot be shown yet (a seq is missing before
   * it, the message it replies to is unknown, or a sync is running): the caller then syncs.
   * Its rev is noted (`noteLive`) once it is applied.
   */
  applyLive(m: Message, replyKnown: boolean): 'applied' | 'gap' {
    if (this.gone.has(m._id) || this.entries.has(m._id)) {
      this.applyState(m);
      this.noteLive([m.rev]);
      return 'applied';
    }
    if (this.syncing > 0 || m.seq > this.maxSeq + 1 || !replyKnown) {
      this.waiting.set(m._id, { message: m, replyKnown });
      return 'gap';
    }
    this.applyState(m);
    this.noteLive([m.rev]);
    // Messages that waited for this one go now, while each is the next.
    this.releaseWaiting((next, replyKnown) => replyKnown && next.seq <= this.maxSeq + 1);
    return 'applied';
  }

  /** Live messages are waiting for a catch-up. */
  get hasWaiting(): boolean {
    return this.waiting.size > 0;
  }

  /**
   * A partial change from a live event. `unknown` when the message is not held (the caller
   * syncs: the feed has it whole); an older change than one already applied is skipped.
   */
  applyDelta(messageId: string, delta: Delta): 'applied' | 'unknown' {
    if (this.gone.has(messageId)) return 'applied';
    const e = this.entries.get(messageId);
    if (!e) return 'unknown';
    const previous = e.message;
    const m: Message = { ...previous };
    switch (delta.type) {
      case 'edit':
        if (delta.rev <= Math.max(e.baseRev, e.contentRev)) return 'applied';
        Object.assign(m, { content: delta.content, isEdited: true, editedAt: delta.editedAt });
        e.contentRev = delta.rev;
        break;
      case 'reaction': {
        const key = reactionKey(delta.userId, delta.emoji);
        if (delta.rev <= Math.max(e.baseRev, e.reactionRevs.get(key) ?? 0)) return 'applied';
        const others = m.reactions.filter((r) => reactionKey(r.userId, r.emoji) !== key);
        m.reactions = delta.added
          ? [...others, { userId: delta.userId, emoji: delta.emoji, createdAt: delta.at }]
          : others;
        e.reactionRevs.set(key, delta.rev);
        break;
      }
      case 'read':
        m.readBy = unionBy(m.readBy, [{ userId: delta.userId, readAt: delta.at }], (r) => r.userId);
        // A read message counts as delivered (docs/api-guide.md), as the server shows it.
        m.deliveredTo = unionBy(m.deliveredTo, [{ userId: delta.userId, deliveredAt: delta.at }], (d) => d.userId);
        break;
      case 'delivered':
        m.deliveredTo = unionBy(m.deliveredTo, [{ userId: delta.userId, deliveredAt: delta.at }], (d) => d.userId);
        break;
    }
    m.rev = Math.max(m.rev, delta.rev);
    this.replace(e, m, previous);
    return 'applied';
  }

  /** Forgets every held message (the chat was deleted for me, its history with it): each is announced removed. */
  clear(): void {
    this.waiting.clear();
    for (const e of [...this.entries.values()]) this.remove(e.message._id, e.message.rev);
  }

  /** Removes a message (deleted for everyone, hidden for me, or a tombstone). */
  remove(messageId: string, rev: number, seq?: number): void {
    if (seq !== undefined) this.maxSeq = Math.max(this.maxSeq, seq);
    if ((this.gone.get(messageId) ?? -1) >= rev) return;
    this.gone.set(messageId, rev);
    this.waiting.delete(messageId);
    const e = this.entries.get(messageId);
    if (!e) return;
    this.entries.delete(messageId);
    this.maxSeq = Math.max(this.maxSeq, e.message.seq);
    this.sortedCache = undefined;
    if (!this.deferred.delete(messageId)) this.announce({ kind: 'remove', message: e.message });
  }

  /** Applies waiting live messages that are `ready`, lowest seq first, until none is. */
  private releaseWaiting(ready: (m: Message, replyKnown: boolean) => boolean): void {
    for (;;) {
      const next = [...this.waiting.values()]
        .filter((w) => ready(w.message, w.replyKnown))
        .reduce<Message | undefined>((low, w) => (low && low.seq < w.message.seq ? low : w.message), undefined);
      if (!next) return;
      this.waiting.delete(next._id);
      this.applyState(next);
      this.noteLive([next.rev]);
    }
  }

  /** Moves the cursor over the live revs that continue it. */
  private advanceCursor(): void {
    while (this.liveRevs.delete(this.feedCursor + 1)) this.feedCursor++;
  }

  /** A whole message (page, feed, live creation), merged with the newer parts already held. */
  private applyState(s: Message): void {
    if (this.gone.has(s._id)) return;
    this.maxSeq = Math.max(this.maxSeq, s.seq);
    const e = this.entries.get(s._id);
    if (!e) {
      if (s.seq < this.floorSeq) return; // older history than loaded: loadOlder brings it
      this.entries.set(s._id, { message: s, baseRev: s.rev, contentRev: s.rev, reactionRevs: new Map() });
      this.sortedCache = undefined;
      if (this.syncing > 0) this.deferred.add(s._id);
      else this.announce({ kind: 'message', message: s });
      return;
    }
    if (s.rev <= e.baseRev) return;
    const held = e.message;
    const m: Message = { ...s, rev: Math.max(s.rev, held.rev) };
    if (e.contentRev > s.rev)
      Object.assign(m, { content: held.content, isEdited: held.isEdited, editedAt: held.editedAt });
    for (const [key, rev] of e.reactionRevs) {
      if (rev <= s.rev) continue;
      const mine = held.reactions.find((r) => reactionKey(r.userId, r.emoji) === key);
      m.reactions = [...m.reactions.filter((r) => reactionKey(r.userId, r.emoji) !== key), ...(mine ? [mine] : [])];
    }
    m.readBy = unionBy(s.readBy, held.readBy, (r) => r.userId);
    m.deliveredTo = unionBy(s.deliveredTo ?? [], held.deliveredTo, (d) => d.userId);
    e.baseRev = s.rev;
    for (const [key, rev] of e.reactionRevs) if (rev <= s.rev) e.reactionRevs.delete(key);
    this.replace(e, m, held);
  }

  private replace(e: Entry, m: Message, previous: Message): void {
    e.message = m;
    this.sortedCache = undefined;
    if (this.deferred.has(m._id) || visible(m) === visible(previous)) return;
    this.announce({ kind: 'update', message: m, previous });
  }
}
