import { Types, type mongo } from 'mongoose';
import type { MessageType } from '@chat/contracts';
import { APPLIED_EVENTS_KEPT, type ChatModel, type OutboxEntry } from './chat-model.js';
import { toRecord, type ChatRecord } from './chat-record.js';
import { countersToDecrement, type DeletedMessage } from '../domain/projection.js';
import type { ChatWriteLock } from './chat-write-lock.js';

const OBJECT_ID = /^[0-9a-f]{24}$/i;
const oid = (id: string) => new Types.ObjectId(id);
export const isObjectId = (id: string): boolean => OBJECT_ID.test(id);

export interface NewMessage {
  eventId: string;
  chatId: string;
  messageId: string;
  senderId: string;
  receiverId: string;
  preview: string;
  messageType: MessageType;
  createdAt: Date;
}

/** Outcome of applying one event: the chat before/after, or why nothing changed. */
export type Applied<T> = { applied: true; chat: ChatRecord } & T;
export type NotApplied = { applied: false; reason: 'ALREADY_APPLIED' | 'NO_CHAT'; chat: ChatRecord | null };

/**
 * Writes of the message projection. Each event's write is one atomic update guarded by
 * `appliedEvents: { $ne: eventId }` that also records the id, so a redelivery changes nothing.
 * The raw collection is used so the updates are exactly the ones written here.
 */
export function projectionRepository(Chat: ChatModel, lock: ChatWriteLock) {
  // Untyped documents: the updates below use dotted map paths the driver's schema types cannot express.
  const col = Chat.collection as unknown as mongo.Collection<any>;
  const update = (u: Record<string, unknown>) => u;
  // The applied-event ids stay in the database: plain reads skip them (they are most of the document).
  // findAndModify cannot project on FerretDB 1.24 ("fields" not implemented), so updates return them.
  const projection = { appliedEvents: 0 };
  const read = (chatId: string) => col.findOne({ _id: oid(chatId) }, { projection });
  const wasApplied = async (chatId: string, eventId: string) =>
    (await col.countDocuments({ _id: oid(chatId), appliedEvents: eventId }, { limit: 1 })) > 0;

  const notApplied = async (chatId: string, eventId: string): Promise<NotApplied> => {
    const doc = await read(chatId);
    if (!doc) return { applied: false, reason: 'NO_CHAT', chat: null };
    return {
      applied: false,
      reason: (await wasApplied(chatId, eventId)) ? 'ALREADY_APPLIED' : 'NO_CHAT',
      chat: toRecord(doc),
    };
  };

  /**
   * Keeps the applied-event list bounded: `$push` with `$slice` is ignored by FerretDB 1.24, so
   * pop the oldest one when an update left more than the limit (`after` is the updated document).
   */
  const trim = async (chatId: string, after: { appliedEvents?: unknown[] }) => {
    if ((after.appliedEvents?.length ?? 0) <= APPLIED_EVENTS_KEPT) return;
    await col.updateOne({ _id: oid(chatId) }, { $pop: { appliedEvents: -1 } });
  };

  return {
    notApplied,

    /**
     * A new message: last-message fields, the receiver's unread +1, both message counts +1, and
     * the chat comes back for whichever of the two had deleted it. Answers the chat before and
     * after, so the caller knows the exact new counts and who got the chat back.
     */
    applyCreated: (m: NewMessage): Promise<Applied<{ before: ChatRecord; restored: OutboxEntry[] }> | NotApplied> =>
      lock.run(m.chatId, async () => {
        // Under the chat's write lock, this read is the state the update applies to.
        const current = await read(m.chatId);
        if (!current) return { applied: false as const, reason: 'NO_CHAT' as const, chat: null };
        // A redelivered older message (after a failed attempt) counts, but must not replace a newer preview.
        const isLatest = !current.lastMessageAt || new Date(current.lastMessageAt) <= m.createdAt;
        const last = isLatest
          ? {
              lastMessage: m.preview,
              lastMessageAt: m.createdAt,
              lastMessageType: m.messageType,
              lastSenderId: oid(m.senderId),
              lastMessageId: m.messageId,
            }
          : {};
        const before = toRecord(current);
        // The chat comes back for a participant who had deleted it: the `restored` event is written
        // with the change (outbox), so a failed publish is retried by the relay, never lost.
        const restored: OutboxEntry[] = before.hiddenFor
          .filter((u) => u === m.senderId || u === m.receiverId)
          .map((userId) => ({ eventId: `${m.eventId}.restored.${userId}`, type: 'restored', actorId: userId, at: new Date() }));
        const after = await col.findOneAndUpdate(
          {
            _id: oid(m.chatId),
            appliedEvents: { $ne: m.eventId },
            participants: { $all: [oid(m.senderId), oid(m.receiverId)] },
          },
          update({
            $set: { ...last, updatedAt: new Date() },
            $inc: {
              [`unreadCount.${m.receiverId}`]: 1,
              [`messageCount.${m.senderId}`]: 1,
              [`messageCount.${m.receiverId}`]: 1,
            },
            // $pull with a condition ({ $in }) is ignored by FerretDB 1.24; $pullAll works on both.
            $pullAll: { hiddenFor: [oid(m.senderId), oid(m.receiverId)] },
            $push: restored.length
              ? { appliedEvents: m.eventId, outbox: { $each: restored } }
              : { appliedEvents: m.eventId },
          }),
          { returnDocument: 'after' },
        );
        if (!after) return notApplied(m.chatId, m.eventId);
        await trim(m.chatId, after);
        return { applied: true as const, before, restored, chat: toRecord(after) };
      }),

    /** The reader's unread count, as message-api counted it after the read. */
    applyRead: (e: {
      eventId: string;
      chatId: string;
      readBy: string;
      unreadCount: number;
    }): Promise<Applied<object> | NotApplied> =>
      lock.run(e.chatId, async () => {
        const after = await col.findOneAndUpdate(
          { _id: oid(e.chatId), appliedEvents: { $ne: e.eventId }, participants: oid(e.readBy) },
          update({ $set: { [`unreadCount.${e.readBy}`]: e.unreadCount }, $push: { appliedEvents: e.eventId } }),
          { returnDocument: 'after' },
        );
        if (!after) return notApplied(e.chatId, e.eventId);
        await trim(e.chatId, after);
        return { applied: true as const, chat: toRecord(after) };
      }),

    /**
     * A deleted message takes one from the counters `countersToDecrement` names. Read, decide,
     * then write guarded by the values read (and the event id), retrying if they moved meanwhile.
     */
    applyDeleted: (
      e: { eventId: string; chatId: string; messageId: string } & DeletedMessage,
    ): Promise<Applied<{ unreadChangedFor: string[] }> | NotApplied> =>
      lock.run(e.chatId, async () => {
        for (let attempt = 0; attempt < 10; attempt++) {
          const doc = await read(e.chatId);
          if (!doc) return { applied: false, reason: 'NO_CHAT', chat: null };
          if (await wasApplied(e.chatId, e.eventId))
            return { applied: false, reason: 'ALREADY_APPLIED', chat: toRecord(doc) };
          const chat = toRecord(doc);
          const dec = countersToDecrement(chat, e);
          const filter: Record<string, unknown> = { _id: oid(e.chatId), appliedEvents: { $ne: e.eventId } };
          const $inc: Record<string, number> = {};
          for (const u of dec.messageCount) {
            filter[`messageCount.${u}`] = chat.messageCount[u];
            $inc[`messageCount.${u}`] = -1;
          }
          for (const u of dec.unreadCount) {
            filter[`unreadCount.${u}`] = chat.unreadCount[u];
            $inc[`unreadCount.${u}`] = -1;
          }
          const change: Record<string, unknown> = { $push: { appliedEvents: e.eventId } };
          if (Object.keys($inc).length > 0) change.$inc = $inc;
          // A message deleted for everyone must not live on as the chat's preview.
          if (e.scope === 'everyone' && chat.lastMessageId === e.messageId) change.$set = { lastMessage: null };
          const after = await col.findOneAndUpdate(filter, change, { returnDocument: 'after' });
          if (!after) continue;
          await trim(e.chatId, after);
          return { applied: true as const, chat: toRecord(after), unreadChangedFor: dec.unreadCount };
        }
        throw new Error(`could not apply delete event ${e.eventId}: chat ${e.chatId} kept changing`);
      }),

    /** An edit of the chat's last message updates its preview (naturally idempotent). */
    applyEdited: (e: { chatId: string; messageId: string; preview: string }): Promise<void> =>
      lock.run(e.chatId, async () => {
        await col.updateOne(
          { _id: oid(e.chatId), lastMessageId: e.messageId, lastMessageType: 'text' },
          { $set: { lastMessage: e.preview } },
        );
      }),
  };
}
export type ProjectionRepository = ReturnType<typeof projectionRepository>;
