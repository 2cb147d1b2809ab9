import { z } from 'zod';
import { objectId } from './common.js';

export const chatStatuses = ['pending', 'accepted', 'rejected', 'auto_accepted', 'blocked'] as const;
export const chatStatusSchema = z.enum(chatStatuses);
export type ChatStatus = z.infer<typeof chatStatusSchema>;

export const messageTypes = ['text', 'image', 'video', 'file'] as const;
export const messageTypeSchema = z.enum(messageTypes);
/** The types a file can be detected as (every message type but text). */
export const mediaMessageTypes = ['image', 'video', 'file'] as const satisfies readonly (typeof messageTypes)[number][];
export type MediaMessageType = (typeof mediaMessageTypes)[number];
export type MessageType = z.infer<typeof messageTypeSchema>;

/** Body of `POST /api/chats/or-create`. */
export const orCreateChatBody = z.object({ recipientId: objectId });
export type OrCreateChatBody = z.output<typeof orCreateChatBody>;

export const chatIdParams = z.object({ chatId: objectId });
export const userIdParams = z.object({ userId: objectId });

/**
 * A chat as the REST API returns it to one caller: the specification's Chat model, with the
 * per-user fields (`unreadCount`, `isArchived`) resolved for that caller.
 */
export interface ChatView {
  _id: string;
  participants: string[];
  status: ChatStatus;
  requestedBy: string;
  acceptedAt?: string | null;
  lastMessage?: string | null;
  lastMessageAt?: string | null;
  lastMessageType?: MessageType | null;
  lastSenderId?: string | null;
  unreadCount: number;
  isArchived: boolean;
  blockedBy?: string | null;
  createdAt: string;
  updatedAt: string;
  messageCount?: number;
}
