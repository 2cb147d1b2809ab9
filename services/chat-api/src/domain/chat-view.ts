import type { ChatAccess, ChatView } from '@chat/contracts';
import type { ChatRecord } from './chat.js';
import { otherParticipant } from './chat-state.js';

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** The caller's clearedAt (when they deleted the chat), if any. */
export const clearedAtFor = (chat: ChatRecord, userId: string): Date | null => {
  const at = chat.clearedAt[userId];
  return at ? new Date(at) : null;
};

/**
 * A chat as one caller sees it: their own unread count, their archive flag, and no preview of a
 * last message they deleted along with the chat.
 */
export function toChatView(chat: ChatRecord, callerId: string): ChatView {
  const cleared = clearedAtFor(chat, callerId);
  const lastHidden = cleared !== null && chat.lastMessageAt !== null && new Date(chat.lastMessageAt) <= cleared;
  return {
    _id: chat.id,
    participants: chat.participants,
    status: chat.status,
    requestedBy: chat.requestedBy,
    acceptedAt: iso(chat.acceptedAt),
    lastMessage: lastHidden ? null : chat.lastMessage,
    lastMessageAt: lastHidden ? null : iso(chat.lastMessageAt),
    lastMessageType: lastHidden ? null : chat.lastMessageType,
    lastSenderId: lastHidden ? null : chat.lastSenderId,
    unreadCount: Math.max(0, chat.unreadCount[callerId] ?? 0),
    isArchived: chat.archivedBy.includes(callerId),
    blockedBy: chat.blockedBy,
    createdAt: iso(chat.createdAt) as string,
    updatedAt: iso(chat.updatedAt) as string,
    messageCount: Math.max(0, chat.messageCount[callerId] ?? 0),
  };
}

/** What other services learn about a chat for one user (chat.access.check). */
export function toChatAccess(chat: ChatRecord, userId: string): ChatAccess {
  return {
    chatId: chat.id,
    participants: chat.participants,
    otherUserId: otherParticipant(chat, userId),
    status: chat.status,
    requestedBy: chat.requestedBy,
    blockedBy: chat.blockedBy,
    clearedAt: iso(clearedAtFor(chat, userId)),
    otherClearedAt: iso(clearedAtFor(chat, otherParticipant(chat, userId))),
    messageCount: Math.max(0, chat.messageCount[userId] ?? 0),
  };
}
