import { randomUUID } from 'node:crypto';
import { chatSubjects, type ChatEvent, type ChatEventType } from '@chat/contracts';
import type { Bus, Logger } from '@chat/platform';
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
  /** Publishes what stayed in outboxes (failed publish, crashed writer) every `intervalMs`. */
  startRelay(opts: { intervalMs: number; staleMs: number }): { stop(): Promise<void> };
}

/**
 * Chat events go to JetStream after the write. A failed publish is logged and left in the
 * outbox for the relay; JetStream de-duplicates on the event id, so a publish by both the
 * request and the relay (or by two replicas' relays) is stored once.
 */
export function chatEvents(bus: Bus, chats: ChatRepository, logger: Logger): ChatEvents {
  async function flush(chat: ChatRecord, entries: OutboxEntry[]): Promise<void> {
    const published: OutboxEntry[] = [];
    for (const entry of [...entries].sort((x, y) => new Date(x.at).getTime() - new Date(y.at).getTime())) {
      try {
        await bus.publish(chatSubjects.event(chat.id, entry.type), toChatEvent(chat, entry));
        published.push(entry);
      } catch (err) {
        // Stop here so the relay publishes the rest in order.
        logger.warn(
          { err: (err as Error).message, chatId: chat.id, type: entry.type },
          'chat event not published yet, the relay will retry',
        );
        break;
      }
    }
    if (published.length > 0) {
      await chats
        .removeFromOutbox(chat.id, published)
        .catch((err: unknown) => logger.warn({ err, chatId: chat.id }, 'outbox cleanup failed'));
    }
  }

  return {
    flush,
    startRelay({ intervalMs, staleMs }) {
      let running: Promise<void> = Promise.resolve();
      const tick = async () => {
        const cutoff = new Date(Date.now() - staleMs);
        for (const chat of await chats.withPendingOutbox(500)) {
          // Fresh entries are still being published by their writer; only stale ones are the relay's.
          const stale = chat.outbox.filter((e) => new Date(e.at) < cutoff);
          if (stale.length > 0) await flush(chat, stale);
          // A flag left up over an empty outbox would be read on every pass: lower it.
          else if (chat.outbox.length === 0) await chats.removeFromOutbox(chat.id, []);
        }
      };
      const timer = setInterval(() => {
        running = running.then(tick).catch((err: unknown) => logger.warn({ err }, 'outbox relay pass failed'));
      }, intervalMs);
      timer.unref();
      return {
        stop: async () => {
          clearInterval(timer);
          await running;
        },
      };
    },
  };
}
