import { randomUUID } from 'node:crypto';
import { chatSubjects, type ChatEvent, type ChatEventType } from '@chat/contracts';
import type { Logger, OutboxPublisher } from '@chat/platform';
import type { OutboxEntry } from '../domain/chat.js';
import type { ChatRecord } from '../domain/chat.js';
import type { ChatRepository } from '../data/chat-repository.js';

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

export interface ChatEvents {
  /** Publishes events already written to the chat's outbox, in order, then drops them from it. */
  flush(chat: ChatRecord, entries: OutboxEntry[]): Promise<void>;
  /** One relay pass: publishes what stayed in outboxes (failed publish, crashed writer) for `staleMs`. */
  relayStale(staleMs: number): Promise<void>;
}

/** Chat events go to JetStream after the write; a failed publish stays in the chat's outbox for the relay. */
export function chatEvents(publisher: OutboxPublisher, chats: ChatRepository, logger: Logger): ChatEvents {
  async function flush(chat: ChatRecord, entries: OutboxEntry[]): Promise<void> {
    const published: OutboxEntry[] = [];
    for (const entry of [...entries].sort((x, y) => new Date(x.at).getTime() - new Date(y.at).getTime())) {
      // Stop at a failure so the relay publishes the rest in order.
      if (!(await publisher.publish(chatSubjects.event(chat.id, entry.type), toChatEvent(chat, entry)))) break;
      published.push(entry);
    }
    if (published.length > 0) {
      await chats
        .removeFromOutbox(chat.id, published)
        .catch((err: unknown) => logger.warn({ err, chatId: chat.id }, 'outbox cleanup failed'));
    }
  }

  return {
    flush,
    async relayStale(staleMs) {
      const cutoff = new Date(Date.now() - staleMs);
      for (const chat of await chats.withPendingOutbox(500)) {
        // Fresh entries are still being published by their writer; only stale ones are the relay's.
        const stale = chat.outbox.filter((e) => new Date(e.at) < cutoff);
        if (stale.length > 0) await flush(chat, stale);
        // A flag left up over an empty outbox would be read on every pass: lower it.
        else if (chat.outbox.length === 0) await chats.removeFromOutbox(chat.id, []);
      }
    },
  };
}
