import type { z } from 'zod';
import { clientCommands } from './commands.js';
import type { Media } from './message.js';
import type { MessageType } from './chat.js';
import type { SocketErrorCode } from './errors.js';

/** Client -> server events, each with its payload schema and its success event: the command table (commands.ts). */
export const clientEvents = clientCommands;
export type ClientEventName = keyof typeof clientEvents;
export type ClientPayload<E extends ClientEventName> = z.output<(typeof clientEvents)[E]['schema']>;

/** Payloads of the server -> client events (specification "Server → Client Events"). */
export interface ServerEventPayloads {
  join_chat_success: { chatId: string; message: string };
  leave_chat_success: { chatId: string };
  send_message_success: { messageId: string; timestamp: string };
  send_media_success: { messageId: string; timestamp: string };
  read_success: { messageIds: string[] };
  /** The ids this call newly recorded as delivered (possibly none). */
  delivered_success: { messageIds: string[] };
  edit_success: { messageId: string };
  delete_success: { messageId: string };
  reaction_success: { messageId: string; emoji: string };
  reaction_removed_success: { messageId: string; emoji: string };
  message_received: {
    messageId: string;
    chatId: string;
    senderId: string;
    receiverId: string;
    content: string;
    messageType: MessageType;
    createdAt: string;
    replyTo: string | null;
    seq: number;
    /** The message's change number (see GET /changes): apply an update only if its rev is newer. */
    rev: number;
    clientMessageId: string;
  };
  media_received: {
    messageId: string;
    chatId: string;
    senderId: string;
    receiverId: string;
    messageType: MessageType;
    media: Media | null;
    createdAt: string;
    replyTo: string | null;
    seq: number;
    rev: number;
    clientMessageId: string;
  };
  messages_read: {
    messageIds: string[];
    readBy: string;
    chatId: string;
    timestamp: string;
    rev: number;
    revs?: number[];
  };
  /** `deliveredTo` is the receiver's id; `rev` the highest rev the delivery gave its messages (as for messages_read). */
  messages_delivered: {
    messageIds: string[];
    deliveredTo: string;
    chatId: string;
    timestamp: string;
    rev: number;
    revs?: number[];
  };
  user_typing: { userId: string; chatId: string; timestamp: string };
  user_stop_typing: { userId: string; chatId: string; timestamp: string };
  message_edited: {
    messageId: string;
    chatId: string;
    newContent: string;
    editedAt: string;
    editedBy: string;
    rev: number;
  };
  message_deleted: { messageId: string; chatId: string; deletedBy: string; scope?: 'everyone' | 'me'; rev: number };
  reaction_added: { messageId: string; chatId: string; userId: string; emoji: string; timestamp: string; rev: number };
  reaction_removed: {
    messageId: string;
    chatId: string;
    userId: string;
    emoji: string;
    timestamp: string;
    rev: number;
  };
  user_online: { userId: string; chatId: string; timestamp: string };
  user_offline: { userId: string; chatId: string; timestamp: string };
  unread_message: { chatId: string; unreadCount: number; lastMessage: string | null; senderId: string | null };
  error: SocketErrorPayload;
  /** Sent by a draining gateway node just before it closes the connection; clients reconnect (the edge picks another node). */
  server_shutdown: { message: string; reconnect: boolean };
}
export type ServerEventName = keyof ServerEventPayloads;

export interface SocketErrorPayload {
  message: string;
  code: SocketErrorCode;
  event?: string;
}

/** Acknowledgement callback payload: the success payload or the error, flagged with `ok`. */
export type AckPayload<T> = ({ ok: true } & T) | ({ ok: false } & SocketErrorPayload);

/** Socket.IO typed event maps (server side). */
export type ServerToClientEvents = { [E in ServerEventName]: (payload: ServerEventPayloads[E]) => void };
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: unknown, ack?: (response: AckPayload<object>) => void) => void;
};

export const rooms = {
  chat: (chatId: string) => `chat:${chatId}`,
  user: (userId: string) => `user:${userId}`,
};
