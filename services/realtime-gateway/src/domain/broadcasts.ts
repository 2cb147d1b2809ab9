import {
  rooms,
  type ChatEvent,
  type MessageEvent,
  type ServerEventName,
  type ServerEventPayloads,
  type UnreadChangedEvent,
} from '@chat/contracts';

/** One socket emission of `event` to a room, skipping the sockets in `except` (users' rooms). */
export interface EmissionOf<E extends ServerEventName> {
  kind: 'emit';
  to: string;
  except?: string[];
  event: E;
  payload: ServerEventPayloads[E];
}
/** Any emission: each event with its own payload. */
export type Emission = { [E in ServerEventName]: EmissionOf<E> }[ServerEventName];
/** Removes a user's sockets (on every node) from a chat room. */
export interface RoomExit {
  kind: 'leave';
  userId: string;
  chatId: string;
}

const emit = <E extends ServerEventName>(to: string, event: E, payload: ServerEventPayloads[E]): EmissionOf<E> => ({
  kind: 'emit',
  to,
  event,
  payload,
});

/**
 * To the chat room, but not to the users the event is hidden from (message-api names them: the
 * other side of a blocked or rejected chat for a receipt, a user who hid the message or deleted
 * the chat after it for an edit or a reaction). The list itself never reaches a client: each
 * payload below is built field by field.
 */
const toChatExcept = <E extends ServerEventName>(
  chatId: string,
  hiddenFrom: string[] | undefined,
  event: E,
  payload: ServerEventPayloads[E],
): EmissionOf<E> => {
  const e = emit(rooms.chat(chatId), event, payload);
  return hiddenFrom?.length ? { ...e, except: hiddenFrom.map(rooms.user) } : e;
};

/** What the sockets see when a message event happens (specification "Server → Client Events"). */
export function broadcastsForMessageEvent(e: MessageEvent): Emission[] {
  const chatRoom = rooms.chat(e.chatId);
  switch (e.type) {
    case 'created': {
      const d = e.data;
      const common = {
        messageId: d.messageId,
        chatId: e.chatId,
        senderId: d.senderId,
        receiverId: d.receiverId,
        messageType: d.messageType,
        createdAt: d.createdAt,
        replyTo: d.replyTo,
        seq: d.seq,
        rev: d.rev,
        clientMessageId: d.clientMessageId,
      };
      return d.messageType === 'text'
        ? [emit(chatRoom, 'message_received', { ...common, content: d.content })]
        : [emit(chatRoom, 'media_received', { ...common, media: d.media })];
    }
    case 'edited': {
      const d = e.data;
      return [
        toChatExcept(e.chatId, d.hiddenFrom, 'message_edited', {
          messageId: d.messageId,
          chatId: e.chatId,
          newContent: d.newContent,
          editedAt: d.editedAt,
          editedBy: d.editedBy,
          rev: d.rev,
        }),
      ];
    }
    case 'deleted': {
      const d = e.data;
      const payload = { messageId: d.messageId, chatId: e.chatId, deletedBy: d.deletedBy, scope: d.scope, rev: d.rev };
      // Hiding a message for oneself is nobody else's business: only the hider's own sockets hear it.
      return [emit(d.scope === 'me' ? rooms.user(d.deletedBy) : chatRoom, 'message_deleted', payload)];
    }
    case 'reaction_added':
    case 'reaction_removed': {
      const { messageId, userId, emoji, timestamp, rev, hiddenFrom } = e.data;
      return [
        toChatExcept(e.chatId, hiddenFrom, e.type === 'reaction_added' ? 'reaction_added' : 'reaction_removed', {
          messageId,
          chatId: e.chatId,
          userId,
          emoji,
          timestamp,
          rev,
        }),
      ];
    }
    case 'read': {
      const d = e.data;
      return [
        toChatExcept(e.chatId, d.hiddenFrom, 'messages_read', {
          messageIds: d.messageIds,
          readBy: d.readBy,
          chatId: e.chatId,
          timestamp: d.timestamp,
          rev: d.rev,
          ...(d.revs && { revs: d.revs }),
        }),
      ];
    }
    case 'delivered': {
      const d = e.data;
      return [
        toChatExcept(e.chatId, d.hiddenFrom, 'messages_delivered', {
          messageIds: d.messageIds,
          deliveredTo: d.deliveredTo,
          chatId: e.chatId,
          timestamp: d.timestamp,
          rev: d.rev,
          revs: d.revs,
        }),
      ];
    }
    default:
      return [];
  }
}

/** A user's unread notice: their own sockets' `unread_message`. */
export const broadcastForUnread = (e: UnreadChangedEvent): Emission =>
  emit(rooms.user(e.data.userId), 'unread_message', {
    chatId: e.chatId,
    unreadCount: e.data.unreadCount,
    lastMessage: e.data.lastMessage,
    senderId: e.data.senderId,
  });

/**
 * Chat events: a chat that is blocked or rejected stops delivering to both participants,
 * one that is deleted stops delivering to the user who deleted it. Other chat events change
 * nothing live.
 */
export function roomExitsForChatEvent(e: ChatEvent): RoomExit[] {
  switch (e.type) {
    case 'blocked':
    case 'rejected':
      return e.data.participants.map((userId) => ({ kind: 'leave', userId, chatId: e.chatId }));
    case 'deleted':
      return [{ kind: 'leave', userId: e.data.actorId, chatId: e.chatId }];
    default:
      return [];
  }
}
