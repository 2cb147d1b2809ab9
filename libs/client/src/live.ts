import type { ReplyPreview } from '@chat/contracts';
import type { Message, ServerEvents } from './types.js';

/** A REST message with the fields older servers leave out filled in. */
export const normalize = (m: Message): Message => (m.deliveredTo ? m : { ...m, deliveredTo: [] });

/** What a reply shows of the message it answers, as the REST views build it (first 100 code points). */
export function previewOf(replied: Message): ReplyPreview {
  const points = [...replied.content];
  return {
    messageId: replied._id,
    senderId: replied.senderId,
    content: points.length <= 100 ? replied.content : `${points.slice(0, 100).join('')}…`,
    messageType: replied.messageType,
  };
}

/**
 * A new message from `message_received` / `media_received`, shaped as REST shows it. Socket
 * events carry only the id of the message replied to: `replyTo` is filled from `replied` when
 * the store holds it, else null (the caller then takes the message from the feed instead).
 */
export function messageFromEvent(
  p: ServerEvents['message_received'] | ServerEvents['media_received'],
  replied: Message | undefined,
): Message {
  return {
    _id: p.messageId,
    chatId: p.chatId,
    seq: p.seq,
    rev: p.rev,
    senderId: p.senderId,
    receiverId: p.receiverId,
    content: 'content' in p ? p.content : '',
    messageType: p.messageType,
    media: p.media ?? null,
    clientMessageId: p.clientMessageId,
    isEdited: false,
    editedAt: null,
    readBy: [],
    deliveredTo: [],
    reactions: [],
    replyTo: replied ? previewOf(replied) : null,
    createdAt: p.createdAt,
    updatedAt: p.createdAt,
  };
}
