import type { mongo } from 'mongoose';
import type { ChatStatus } from '@chat/contracts';
import { isDuplicateKey, oid } from '@chat/platform';
import type { ChatModel } from './chat-documents.js';
import type { ChatEdit, OutboxEntry } from '../domain/chat.js';
import { toRecord } from './chat-records.js';
import { type ChatRecord } from '../domain/chat.js';
import type { ChatWriteLock } from './chat-write-lock.js';
import type { ChatCache } from './chat-cache.js';
import { drainOutbox, type PublishOutbox } from './chat-outbox.js';

export const pairKeyOf = (a: string, b: string): string => [a, b].sort().join(':');

/** Which of a user's chats a list shows. */
export type ChatListKind = { kind: 'requests' } | { kind: 'active' } | { kind: 'history'; includeArchived: boolean };

export interface Page {
  page: number;
  limit: number;
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

const one = (doc: unknown): ChatRecord | null => (doc ? toRecord(doc as Record<string, unknown>) : null);
const withUser = (users: readonly string[], u: string) => (users.includes(u) ? [...users] : [...users, u]);
const withoutUser = (users: readonly string[], u: string) => users.filter((x) => x !== u);

/**
 * The one update that writes `edit` onto `chat` (read under the same hold of the chat's lock):
 * id arrays are set whole, computed from the current ones, so no two operators touch one field
 * and nothing depends on FerretDB applying an operator atomically.
 */
function toUpdate(chat: ChatRecord, edit: ChatEdit): Record<string, unknown> {
  const $set: Record<string, unknown> = {};
  let archivedBy = chat.archivedBy;
  let hiddenFor = chat.hiddenFor;
  if (edit.state) {
    for (const [key, value] of Object.entries(edit.state)) {
      if (value === undefined) continue;
      $set[key] = (key === 'requestedBy' || key === 'blockedBy') && typeof value === 'string' ? oid(value) : value;
    }
    $set.stateRev = chat.stateRev + 1;
  }
  if (edit.archive)
    archivedBy = edit.archive.archived
      ? withUser(archivedBy, edit.archive.userId)
      : withoutUser(archivedBy, edit.archive.userId);
  if (edit.hide) {
    const { userId, at } = edit.hide;
    hiddenFor = withUser(hiddenFor, userId);
    archivedBy = withoutUser(archivedBy, userId);
    Object.assign($set, { [`clearedAt.${userId}`]: at, [`unreadCount.${userId}`]: 0, [`messageCount.${userId}`]: 0 });
  }
  if (edit.unhide) hiddenFor = withoutUser(hiddenFor, edit.unhide);
  if (archivedBy !== chat.archivedBy) $set.archivedBy = archivedBy.map(oid);
  if (hiddenFor !== chat.hiddenFor) $set.hiddenFor = hiddenFor.map(oid);
  if (edit.events.length === 0) return { $set };
  return { $set: { ...$set, outboxPending: true }, $push: { outbox: { $each: edit.events } } };
}

/**
 * Reads are plain; every write of an existing chat runs under the chat's write lock, decides on
 * the chat as it is under that hold, and publishes the chat's outbox before letting go of it.
 */
export class ChatRepository {
  private readonly col: mongo.Collection<any>;

  constructor(
    private readonly Chat: ChatModel,
    private readonly lock: ChatWriteLock,
    private readonly cache: ChatCache,
    private readonly publish: PublishOutbox,
  ) {
    this.col = Chat.collection as unknown as mongo.Collection<any>;
  }

  async findById(chatId: string): Promise<ChatRecord | null> {
    return one(await this.Chat.findById(chatId, WITHOUT_APPLIED).lean());
  }

  /** For chat.access.check: possibly a cached copy (see ChatCache for how fresh). */
  async findForAccess(chatId: string): Promise<ChatRecord | null> {
    return this.cache.get(chatId, async () => one(await this.Chat.findById(chatId, WITHOUT_APPLIED).lean()));
  }

  async findByPair(a: string, b: string): Promise<ChatRecord | null> {
    return one(await this.Chat.findOne({ pairKey: pairKeyOf(a, b) }, WITHOUT_APPLIED).lean());
  }

  /**
   * Inserts a pending chat requested by `requester` with its `created` event, then publishes
   * it (under the chat's lock, like every other event); null when the pair already has a chat.
   */
  async insertPending(requester: string, recipient: string, event: OutboxEntry): Promise<ChatRecord | null> {
    let inserted: ChatRecord;
    try {
      const doc = await this.Chat.create({
        participants: [requester, recipient].sort().map(oid),
        pairKey: pairKeyOf(requester, recipient),
        status: 'pending',
        requestedBy: oid(requester),
        outbox: [event],
        outboxPending: true,
      });
      inserted = toRecord(doc.toObject());
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    return (await this.drain(inserted.id)) ?? inserted;
  }

  /**
   * The one way a command changes an existing chat. Holding the chat's write lock (the same
   * one the message projection and the outbox relay take), it reads the chat, lets `decide`
   * say what changes (it may throw a refusal, or answer null: nothing to write), writes that
   * with its events in one update, and publishes the outbox before the next writer of the chat
   * gets its turn. Null when there is no such chat.
   */
  async edit(chatId: string, decide: (chat: ChatRecord) => ChatEdit | null): Promise<ChatRecord | null> {
    return this.write(chatId, async () => {
      const current = await this.Chat.findById(chatId, WITHOUT_APPLIED).lean();
      if (!current) return null;
      const chat = toRecord(current as unknown as Record<string, unknown>);
      const edit = decide(chat);
      if (!edit) return chat;
      const after = await this.Chat.findByIdAndUpdate(chatId, toUpdate(chat, edit), {
        returnDocument: 'after',
      }).lean();
      if (!after) return null;
      return toRecord(await drainOutbox(this.col, after as unknown as Record<string, any>, this.publish));
    });
  }

  /** Publishes the events left in the chat's outbox (the relay: a failed publish, a crashed writer). */
  async drain(chatId: string): Promise<ChatRecord | null> {
    return this.write(chatId, async () => {
      const doc = await this.col.findOne({ _id: oid(chatId) }, { projection: WITHOUT_APPLIED });
      return doc ? toRecord(await drainOutbox(this.col, doc, this.publish)) : null;
    });
  }

  /**
   * Chats holding unpublished events, found by equality on the indexed top-level flag (the
   * only kind of filter FerretDB runs in PostgreSQL); how old the events are is the caller's filter.
   */
  async withPendingOutbox(limit: number): Promise<ChatRecord[]> {
    const docs = await this.Chat.find({ outboxPending: true }, WITHOUT_APPLIED).limit(limit).lean();
    return docs.map((d) => toRecord(d as unknown as Record<string, unknown>));
  }

  async list(userId: string, list: ChatListKind, page: Page): Promise<{ items: ChatRecord[]; total: number }> {
    const filter = listFilter(userId, list);
    const [docs, total] = await Promise.all([
      this.Chat.find(filter, WITHOUT_APPLIED)
        .sort(NEWEST_FIRST)
        .skip((page.page - 1) * page.limit)
        .limit(page.limit)
        .lean(),
      this.Chat.countDocuments(filter),
    ]);
    return { items: docs.map((d) => toRecord(d as unknown as Record<string, unknown>)), total };
  }

  /** Ids of the user's accepted (or auto_accepted) chats they have not deleted: who may see their presence. */
  async contactChatIdsOf(userId: string): Promise<string[]> {
    const docs = await this.Chat.find({ ...visibleTo(userId), status: { $in: CONTACT_STATUSES } }, { _id: 1 }).lean();
    return docs.map((d) => String(d._id));
  }

  /** A write of an existing chat: serialized per chat, and the cached copy dropped once it is done. */
  private async write<T>(chatId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await this.lock.run(chatId, run);
    } finally {
      this.cache.invalidate(chatId);
    }
  }
}
