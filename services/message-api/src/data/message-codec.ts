import type { StoredMessage } from '../domain/message.js';
import type { OutgoingEvent } from '../domain/message-events.js';
import type { MessageDoc } from './message-documents.js';

/** A stored document as the use cases see it: ids as strings, absent arrays empty. */
export function toStored(d: MessageDoc): StoredMessage {
  return {
    id: d._id.toHexString(),
    chatId: d.chatId.toHexString(),
    senderId: d.senderId.toHexString(),
    receiverId: d.receiverId.toHexString(),
    content: d.content ?? '',
    messageType: d.messageType,
    media: d.media ?? null,
    clientMessageId: d.clientMessageId,
    seq: d.seq,
    rev: d.rev,
    isEdited: d.isEdited ?? false,
    editedAt: d.editedAt ?? null,
    readBy: (d.readBy ?? []).map((r) => ({ userId: r.userId.toHexString(), readAt: r.readAt })),
    deliveredTo: (d.deliveredTo ?? []).map((r) => ({ userId: r.userId.toHexString(), deliveredAt: r.deliveredAt })),
    deletedBy: (d.deletedBy ?? []).map((u) => u.toHexString()),
    deletedForEveryone: d.deletedForEveryone ?? false,
    replyTo: d.replyTo ? d.replyTo.toHexString() : null,
    reactions: (d.reactions ?? []).map((r) => ({
      userId: r.userId.toHexString(),
      emoji: r.emoji,
      createdAt: r.createdAt,
    })),
    reactionKeys: d.reactionKeys ?? [],
    pendingEvents: d.pendingEvents ?? [],
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** Outbox entries are stored as JSON strings so `$pullAll` can remove exactly one (FerretDB has no conditional $pull). */
export const encodeEvent = (e: OutgoingEvent): string => JSON.stringify(e);
export const decodeEvent = (raw: string): OutgoingEvent => JSON.parse(raw) as OutgoingEvent;
