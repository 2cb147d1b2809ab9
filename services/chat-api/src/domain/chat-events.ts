import { randomUUID } from 'node:crypto';
import type { ChatEvent, ChatEventType } from '@chat/contracts';
import type { ChatRecord, OutboxEntry } from './chat.js';

/** A chat event to write into the chat's outbox together with the change it reports. */
export const pendingChatEvent = (type: ChatEventType, actorId: string, at: Date): OutboxEntry => ({
  eventId: randomUUID(),
  type,
  actorId,
  at,
});

/** The CHATS stream envelope, with the chat's snapshot as it is after the change. */
export function toChatEvent(chat: ChatRecord, entry: OutboxEntry): ChatEvent {
  return {
    eventId: entry.eventId,
    type: entry.type,
    chatId: chat.id,
    occurredAt: new Date(entry.at).toISOString(),
    data: {
      chatId: chat.id,
      participants: chat.participants,
      status: chat.status,
      requestedBy: chat.requestedBy,
      blockedBy: chat.blockedBy,
      actorId: entry.actorId,
    },
  } as ChatEvent;
}
