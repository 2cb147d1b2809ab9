import { randomUUID } from 'node:crypto';
import { chatSubjects, type ChatEvent, type ChatEventType } from '@chat/contracts';
import type { Bus, Logger } from '@chat/platform';
import type { ChatRecord } from '../data/chat-record.js';

export type PublishChatEvent = (chat: ChatRecord, type: ChatEventType, actorId: string) => Promise<void>;

/**
 * Publishes chat events on the CHATS stream after the write. A failed publish is logged, not
 * thrown: the change is already stored and the caller gets its answer.
 */
export function chatEventPublisher(bus: Bus, logger: Logger): PublishChatEvent {
  return async (chat, type, actorId) => {
    const event = {
      eventId: randomUUID(),
      type,
      chatId: chat.id,
      occurredAt: new Date().toISOString(),
      data: {
        chatId: chat.id,
        participants: chat.participants,
        status: chat.status,
        requestedBy: chat.requestedBy,
        blockedBy: chat.blockedBy,
        actorId,
      },
    } as ChatEvent;
    try {
      await bus.publish(chatSubjects.event(chat.id, type), event);
    } catch (err) {
      logger.error({ err, chatId: chat.id, type }, 'failed to publish chat event');
    }
  };
}
