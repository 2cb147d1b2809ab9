import type { MessageTombstone, MessageView, ReplyPreview } from '@chat/contracts';
import type { StoredMessage } from './message.js';
import { isVisibleTo, preview, type Viewer } from './visibility.js';

/** What a reply shows of the message it answers; nothing of its text once it is gone for the viewer. */
export function toReplyPreview(replied: StoredMessage, viewer: Viewer): ReplyPreview {
  const visible = isVisibleTo(replied, viewer);
  return {
    messageId: replied.id,
    senderId: replied.senderId,
    content: visible ? preview(replied.content) : '',
    messageType: replied.messageType,
    ...(visible ? {} : { isDeleted: true }),
  };
}

/**
 * Who the message reached: the recorded deliveries, plus each reader without one (a read
 * message counts as delivered), delivered when they read it. Derived here rather than
 * written on read, so a read costs no second write and messages read before delivery receipts
 * existed show as delivered too.
 */
export function deliveredToOf(m: Pick<StoredMessage, 'deliveredTo' | 'readBy'>): MessageView['deliveredTo'] {
  const recorded = m.deliveredTo.map((d) => ({ userId: d.userId, deliveredAt: d.deliveredAt.toISOString() }));
  const byReading = m.readBy
    .filter((r) => !m.deliveredTo.some((d) => d.userId === r.userId))
    .map((r) => ({ userId: r.userId, deliveredAt: r.readAt.toISOString() }));
  return [...recorded, ...byReading];
}

/** A message as one viewer gets it: no deletion bookkeeping, no outbox. */
export function toMessageView(m: StoredMessage, replies: Map<string, ReplyPreview>): MessageView {
  return {
    _id: m.id,
    chatId: m.chatId,
    seq: m.seq,
    rev: m.rev,
    senderId: m.senderId,
    receiverId: m.receiverId,
    content: m.content,
    messageType: m.messageType,
    media: m.media,
    clientMessageId: m.clientMessageId,
    isEdited: m.isEdited,
    editedAt: m.editedAt ? m.editedAt.toISOString() : null,
    readBy: m.readBy.map((r) => ({ userId: r.userId, readAt: r.readAt.toISOString() })),
    deliveredTo: deliveredToOf(m),
    reactions: m.reactions.map((r) => ({ userId: r.userId, emoji: r.emoji, createdAt: r.createdAt.toISOString() })),
    replyTo: m.replyTo ? (replies.get(m.replyTo) ?? null) : null,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

export const toTombstone = (m: StoredMessage): MessageTombstone => ({
  _id: m.id,
  chatId: m.chatId,
  rev: m.rev,
  seq: m.seq,
  isDeleted: true,
});

/** A change as `/changes` reports it to this viewer: the message, or a tombstone if it is gone for them. */
export const toChange = (
  m: StoredMessage,
  viewer: Viewer,
  replies: Map<string, ReplyPreview>,
): MessageView | MessageTombstone => (isVisibleTo(m, viewer) ? toMessageView(m, replies) : toTombstone(m));
