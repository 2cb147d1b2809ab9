import type { ChatStatus } from '@chat/contracts';
import { isDuplicateKey, oid } from '@chat/platform';
import type { ChatModel } from './chat-documents.js';
import type { OutboxEntry } from '../domain/chat.js';
import { toRecord } from './chat-records.js';
import { type ChatRecord } from '../domain/chat.js';
import type { ChatWriteLock } from './chat-write-lock.js';
import type { ChatCache } from './chat-cache.js';

export const pairKeyOf = (a: string, b: string): string => [a, b].sort().join(':');

/** Which of a user's chats a list shows. */
export type ChatListKind = { kind: 'requests' } | { kind: 'active' } | { kind: 'history'; includeArchived: boolean };

export interface Page {
  page: number;
  limit: number;
}

/** Fields a status transition may set (compare-and-set on `stateRev`). */
export interface StateChange {
  status?: ChatStatus;
  requestedBy?: string;
  acceptedAt?: Date | null;
  blockedBy?: string | null;
  statusBeforeBlock?: ChatStatus | null;
}

/**
 * Every list query starts from this filter, so no list can forget to scope to the caller:
 * chats the user takes part in and has not deleted.
 */
function visibleTo(userId: string): Record<string, unknown> {
  return { participants: oid(userId), hiddenFor: { $ne: oid(userId) } };
}

function listFilter(userId: string, list: ChatListKind): Record<string, unknown> {
  const filter = visibleTo(userId);
  switch (list.kind) {
    case 'requests':
      return { ...filter, status: 'pending', requestedBy: { $ne: oid(userId) } };
    case 'active':
      return { ...filter, status: { $in: ['accepted', 'auto_accepted'] }, archivedBy: { $ne: oid(userId) } };
    case 'history':
      return list.includeArchived ? filter : { ...filter, archivedBy: { $ne: oid(userId) } };
  }
}

const CONTACT_STATUSES: ChatStatus[] = ['accepted', 'auto_accepted'];
const NEWEST_FIRST = { lastMessageAt: -1, updatedAt: -1, _id: -1 } as const;
/** Reads skip the projection's applied revs, which only the projection needs. (Only finds: FerretDB cannot project findAndModify.) */
const WITHOUT_APPLIED = { appliedRevs: 0 } as const;
/** Every `$push` to the outbox raises the flag the relay looks for (cleared when the outbox empties). */
const toOutbox = (event: OutboxEntry) => ({ $push: { outbox: event }, $set: { outboxPending: true } });

/** Reads are plain; every write of an existing chat runs under the chat's write lock. */
export function chatRepository(Chat: ChatModel, lock: ChatWriteLock, cache: ChatCache) {
  const one = (doc: unknown): ChatRecord | null => (doc ? toRecord(doc as Record<string, unknown>) : null);
  /** A write of an existing chat: serialized per chat, and the cached copy dropped once it is done. */
  const write = async <T>(chatId: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await lock.run(chatId, run);
    } finally {
      cache.invalidate(chatId);
    }
  };

  return {
    async findById(chatId: string): Promise<ChatRecord | null> {
      return one(await Chat.findById(chatId, WITHOUT_APPLIED).lean());
    },

    /** For chat.access.check: possibly a cached copy (see ChatCache for how fresh). */
    async findForAccess(chatId: string): Promise<ChatRecord | null> {
      return cache.get(chatId, async () => one(await Chat.findById(chatId, WITHOUT_APPLIED).lean()));
    },

    async findByPair(a: string, b: string): Promise<ChatRecord | null> {
      return one(await Chat.findOne({ pairKey: pairKeyOf(a, b) }, WITHOUT_APPLIED).lean());
    },

    /** Inserts a pending chat requested by `requester`; null when the pair already has one. */
    async insertPending(requester: string, recipient: string, event: OutboxEntry): Promise<ChatRecord | null> {
      try {
        const doc = await Chat.create({
          participants: [requester, recipient].sort().map(oid),
          pairKey: pairKeyOf(requester, recipient),
          status: 'pending',
          requestedBy: oid(requester),
          outbox: [event],
          outboxPending: true,
        });
        return toRecord(doc.toObject());
      } catch (err) {
        if (isDuplicateKey(err)) return null;
        throw err;
      }
    },

    /** Applies a status change only if nobody changed the status since `expectedRev`. */
    async changeState(
      chatId: string,
      expectedRev: number,
      change: StateChange,
      event: OutboxEntry,
    ): Promise<ChatRecord | null> {
      const $set: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(change)) {
        if (value === undefined) continue;
        $set[key] = (key === 'requestedBy' || key === 'blockedBy') && typeof value === 'string' ? oid(value) : value;
      }
      const doc = await write(chatId, () =>
        Chat.findOneAndUpdate(
          { _id: chatId, stateRev: expectedRev },
          { $set: { ...$set, outboxPending: true }, $inc: { stateRev: 1 }, $push: { outbox: event } },
          { returnDocument: 'after' },
        ).lean(),
      );
      return one(doc);
    },

    async setArchived(
      chatId: string,
      userId: string,
      archived: boolean,
      event: OutboxEntry,
    ): Promise<ChatRecord | null> {
      const update = archived
        ? { $addToSet: { archivedBy: oid(userId) }, ...toOutbox(event) }
        : { $pull: { archivedBy: oid(userId) }, ...toOutbox(event) };
      return one(await write(chatId, () => Chat.findByIdAndUpdate(chatId, update, { returnDocument: 'after' }).lean()));
    },

    /** The user deletes the chat: hidden for them, history before `at` hidden, their counts reset. */
    async hideFor(chatId: string, userId: string, at: Date, event: OutboxEntry): Promise<ChatRecord | null> {
      const doc = await write(chatId, () =>
        Chat.findByIdAndUpdate(
          chatId,
          {
            $addToSet: { hiddenFor: oid(userId) },
            $pull: { archivedBy: oid(userId) },
            $set: {
              [`clearedAt.${userId}`]: at,
              [`unreadCount.${userId}`]: 0,
              [`messageCount.${userId}`]: 0,
              outboxPending: true,
            },
            $push: { outbox: event },
          },
          { returnDocument: 'after' },
        ).lean(),
      );
      return one(doc);
    },

    /** The chat comes back for a user who had deleted it (their old history stays hidden). */
    async unhideFor(chatId: string, userId: string, event: OutboxEntry): Promise<ChatRecord | null> {
      return one(
        await write(chatId, () =>
          Chat.findByIdAndUpdate(
            chatId,
            { $pull: { hiddenFor: oid(userId) }, ...toOutbox(event) },
            { returnDocument: 'after' },
          ).lean(),
        ),
      );
    },

    /**
     * Drops published events from the chat's outbox, and lowers `outboxPending` once it is empty.
     * Under the chat's lock the outbox read is current, so one `$set` replaces it.
     */
    async removeFromOutbox(chatId: string, entries: OutboxEntry[]): Promise<void> {
      const published = new Set(entries.map((e) => e.eventId));
      await write(chatId, async () => {
        const doc = await Chat.collection.findOne({ _id: oid(chatId) }, { projection: { outbox: 1 } });
        if (!doc) return;
        const left = ((doc.outbox ?? []) as OutboxEntry[]).filter((e) => !published.has(e.eventId));
        await Chat.collection.updateOne(
          { _id: oid(chatId) },
          { $set: { outbox: left, outboxPending: left.length > 0 } },
        );
      });
    },

    /**
     * Chats holding unpublished events, found by equality on the indexed top-level flag (the
     * only kind of filter FerretDB runs in PostgreSQL); how old the events are is the caller's filter.
     */
    async withPendingOutbox(limit: number): Promise<ChatRecord[]> {
      const docs = await Chat.find({ outboxPending: true }, WITHOUT_APPLIED).limit(limit).lean();
      return docs.map((d) => toRecord(d as unknown as Record<string, unknown>));
    },

    async list(userId: string, list: ChatListKind, page: Page): Promise<{ items: ChatRecord[]; total: number }> {
      const filter = listFilter(userId, list);
      const [docs, total] = await Promise.all([
        Chat.find(filter, WITHOUT_APPLIED)
          .sort(NEWEST_FIRST)
          .skip((page.page - 1) * page.limit)
          .limit(page.limit)
          .lean(),
        Chat.countDocuments(filter),
      ]);
      return { items: docs.map((d) => toRecord(d as unknown as Record<string, unknown>)), total };
    },

    /** Ids of the user's accepted (or auto_accepted) chats they have not deleted: who may see their presence. */
    async contactChatIdsOf(userId: string): Promise<string[]> {
      const docs = await Chat.find({ ...visibleTo(userId), status: { $in: CONTACT_STATUSES } }, { _id: 1 }).lean();
      return docs.map((d) => String(d._id));
    },
  };
}
export type ChatRepository = ReturnType<typeof chatRepository>;
