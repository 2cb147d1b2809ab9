import { type mongo } from 'mongoose';
import { oid } from '@chat/platform';
import type { ChatChange, ProjectedChat, Projection } from '../domain/message-effects.js';
import type { ChatModel } from './chat-documents.js';
import type { OutboxEntry } from '../domain/chat.js';
import { toAppliedRevs, toRecord } from './chat-records.js';
import { type ChatRecord } from '../domain/chat.js';
import type { ChatWriteLock } from './chat-write-lock.js';
import { drainOutbox, type PublishOutbox } from './chat-outbox.js';

/** Outcome of a run of events of one chat: the chat after the write (if any) and each event's decision. */
export type ProjectionOutcome =
  | { found: false }
  | {
      found: true;
      /** The chat after the write (as read when nothing was written). */
      chat: ChatRecord;
      /** What was written, if anything. */
      change: ChatChange | null;
      outcomes: Projection[];
      /** The `restored` chat events written to the outbox with the change (and published with it). */
      restored: OutboxEntry[];
    };

/** One `$set` of exactly the fields the change names (map entries by their dotted path). */
function toUpdate(change: ChatChange, restored: OutboxEntry[]): Record<string, unknown> {
  const $set: Record<string, unknown> = { appliedRevs: change.applied };
  for (const [u, n] of Object.entries(change.unreadCount)) $set[`unreadCount.${u}`] = n;
  for (const [u, n] of Object.entries(change.messageCount)) $set[`messageCount.${u}`] = n;
  if (change.last) {
    const { lastSenderId, ...last } = change.last;
    Object.assign($set, last, lastSenderId ? { lastSenderId: oid(lastSenderId) } : {});
  }
  if (change.hiddenFor) $set.hiddenFor = change.hiddenFor.map(oid);
  if (change.updatedAt) $set.updatedAt = change.updatedAt;
  if (restored.length === 0) return { $set };
  return { $set: { ...$set, outboxPending: true }, $push: { outbox: { $each: restored } } };
}

/**
 * Writes of the message projection. Under the chat's write lock it reads the chat once, lets
 * the domain decide, and writes the decision once; the lock is what makes the read current, so
 * no update depends on `$inc` or on a guard FerretDB would check without isolation. The same
 * lock orders it with every command on the chat (delete, archive, ...): a batch decides on the
 * chat as the last command left it (a delete's `clearedAt` included).
 */
export class ProjectionRepository {
  /** The raw collection, so the updates are exactly the ones built here (dotted map paths). */
  private readonly col: mongo.Collection<any>;
  /**
   * The chat as our last write under the lock left it. Every writer of a chat takes its lock,
   * so when our new hold's fencing token is exactly one more than that write's, nobody wrote
   * since and the copy is current: a busy chat costs one round trip per event, not two.
   */
  private readonly lastWritten = new Map<string, { fence: number; doc: Record<string, unknown> }>();
  private readonly maxCached: number;

  constructor(
    Chat: ChatModel,
    private readonly lock: ChatWriteLock,
    private readonly publish: PublishOutbox,
    opts: { cachedChats?: number } = {},
  ) {
    this.col = Chat.collection as unknown as mongo.Collection<any>;
    this.maxCached = opts.cachedChats ?? 10_000;
  }

  /**
   * Applies message events of chat `chatId` (ids in `eventIds`, in stream order) as `decide`
   * says, in one write. A participant the chat comes back for gets a `restored` chat event,
   * written to the outbox with the change and published before the lock is let go (so it
   * cannot overtake, or be overtaken by, another writer's event of the chat). Costs per
   * batch: the lock (two Redis round trips), one read unless our last write is known current,
   * one write; a restore adds the publish and one write, no Redis.
   */
  apply(
    chatId: string,
    eventIds: readonly string[],
    decide: (chat: ProjectedChat) => { change: ChatChange | null; outcomes: Projection[] },
  ): Promise<ProjectionOutcome> {
    return this.lock.run(chatId, async (fence): Promise<ProjectionOutcome> => {
      const doc = await this.current(chatId, fence);
      if (!doc) return { found: false };
      const chat = toRecord(doc);
      const { change, outcomes } = decide({ ...chat, applied: toAppliedRevs(doc.appliedRevs) });
      if (!change) {
        this.remember(chatId, fence, doc);
        return { found: true, chat, change, outcomes, restored: [] };
      }
      const at = new Date();
      const restored: OutboxEntry[] = outcomes.flatMap((o, i) =>
        o.apply
          ? o.change.restoredFor.map((userId) => ({
              eventId: `${eventIds[i]}.restored.${userId}`,
              type: 'restored' as const,
              actorId: userId,
              at,
            }))
          : [],
      );
      const written = await this.col.findOneAndUpdate({ _id: oid(chatId) }, toUpdate(change, restored), {
        returnDocument: 'after',
      });
      if (!written) return { found: false };
      const after = restored.length > 0 ? await drainOutbox(this.col, written, this.publish) : written;
      this.remember(chatId, fence, after);
      return { found: true, chat: toRecord(after), change, outcomes, restored };
    });
  }

  private remember(chatId: string, fence: number, doc: Record<string, unknown>): void {
    this.lastWritten.delete(chatId);
    this.lastWritten.set(chatId, { fence, doc });
    if (this.lastWritten.size > this.maxCached) this.lastWritten.delete(this.lastWritten.keys().next().value as string);
  }

  private async current(chatId: string, fence: number): Promise<Record<string, any> | null> {
    const kept = this.lastWritten.get(chatId);
    if (kept && fence > 0 && kept.fence === fence - 1) return kept.doc;
    this.lastWritten.delete(chatId);
    return this.col.findOne({ _id: oid(chatId) });
  }
}
