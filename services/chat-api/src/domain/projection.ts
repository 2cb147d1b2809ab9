import type { MessageType } from '@chat/contracts';

export const LAST_MESSAGE_PREVIEW_MAX = 100;

const MEDIA_PREVIEW: Record<Exclude<MessageType, 'text'>, string> = {
  image: '[IMAGE]',
  video: '[VIDEO]',
  file: '[FILE]',
};

/** `lastMessage`: the first 100 characters (code points) of a text, a marker for media. */
export function previewOf(messageType: MessageType, content: string): string {
  if (messageType !== 'text') return MEDIA_PREVIEW[messageType];
  return [...content].slice(0, LAST_MESSAGE_PREVIEW_MAX).join('');
}

/** The per-user counters a chat keeps, as the projection reads them. */
export interface ChatCounters {
  participants: readonly string[];
  unreadCount: Record<string, number>;
  messageCount: Record<string, number>;
  clearedAt: Record<string, Date>;
}

export interface DeletedMessage {
  scope: 'everyone' | 'me';
  deletedBy: string;
  senderId: string;
  receiverId: string;
  wasUnread: boolean;
  /** When the message was created, if the event says; messages older than a user's clearedAt do not count for them. */
  createdAt?: string;
  /** Users who had hidden the message for themselves before: it no longer counts for them. */
  alreadyHiddenFor?: readonly string[];
}

/**
 * Did something that happened at `at` (a message's creation, a read) happen before `userId` last
 * deleted the chat? A delete sets `clearedAt` to the moment it took effect (under the chat's
 * write lock) and hides every message created at or before it: the rule message-api's history
 * applies (`createdAt <= clearedAt` is gone for them). Events about such messages, however late
 * they are projected, are the past the delete already wiped: they neither count for that user
 * nor bring the chat back for them.
 */
export function beforeDeleteBy(clearedAt: Record<string, Date>, userId: string, at: Date | string): boolean {
  const cleared = clearedAt[userId];
  return cleared !== undefined && cleared !== null && new Date(at).getTime() <= new Date(cleared).getTime();
}

/**
 * Which counters a deleted message takes one from. For everyone: both users' message counts
 * (and the receiver's unread if they had not read it); for me: the deleter's count (and their
 * unread if they are the receiver and had not read it). Users for whom the message was hidden
 * anyway (deleted chat, or hidden by them before) are left alone. Counts are exact running
 * totals: one at zero still drops (its `created` may not have been applied yet).
 */
export function countersToDecrement(
  chat: ChatCounters,
  msg: DeletedMessage,
): { messageCount: string[]; unreadCount: string[] } {
  const visibleTo = (userId: string) => {
    if (!chat.participants.includes(userId)) return false;
    if (msg.alreadyHiddenFor?.includes(userId)) return false;
    return !(msg.createdAt && beforeDeleteBy(chat.clearedAt, userId, msg.createdAt));
  };
  const users = msg.scope === 'everyone' ? [msg.senderId, msg.receiverId] : [msg.deletedBy];
  const messageCount = [...new Set(users)].filter((u) => visibleTo(u));
  const receiverLosesUnread = msg.wasUnread && (msg.scope === 'everyone' || msg.deletedBy === msg.receiverId);
  const unreadCount = receiverLosesUnread && visibleTo(msg.receiverId) ? [msg.receiverId] : [];
  return { messageCount, unreadCount };
}
