import { randomUUID } from 'node:crypto';
import { chatSubjects, type ChatEvent, type ChatEventType } from '@chat/contracts';
import type { Logger, OutboxPublisher } from '@chat/platform';
import type { OutboxEntry } from '../domain/chat.js';
import type { ChatRecord } from '../domain/chat.js';
import type { ChatRepository } from '../data/chat-repository.js';
import type { PublishOutbox } from '../data/chat-outbox.js';

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

/**
 * How long one publish may keep the chat's write lock. A slower one (JetStream unreachable: its
 * own timeout is 5 s) counts as failed here: the entry stays in the outbox, the chat's next writer
 * or the relay publishes it again, and if the slow publish lands after all, JetStream drops the
 * second copy (same event id). The order holds: an entry is passed only once JetStream stored it.
 */
export const PUBLISH_WITHIN_MS = 1_000;

/**
 * How the repositories publish a chat's outbox (they call it holding the chat's write lock, right
 * after the write): in the order given, stopping at the first failure so the rest leave later in
 * order. A failed publish is counted and logged by the publisher and stays for the relay.
 */
export function chatEventPublisher(
  publisher: OutboxPublisher,
  logger: Logger,
  opts: { withinMs?: number } = {},
): PublishOutbox {
  const withinMs = opts.withinMs ?? PUBLISH_WITHIN_MS;
  const publishWithin = (subject: string, event: ChatEvent) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn({ subject, eventId: event.eventId }, 'chat event publish is slow, left for a later drain');
        resolve(false);
      }, withinMs);
      void publisher.publish(subject, event).then((ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
    });
  return async (chat, entries) => {
    let sent = 0;
    for (const entry of entries) {
      if (!(await publishWithin(chatSubjects.event(chat.id, entry.type), toChatEvent(chat, entry)))) break;
      sent += 1;
    }
    return sent;
  };
}

/**
 * One relay pass: publishes what stayed in outboxes (a failed publish, a crashed writer) for
 * `staleMs`. Fresh entries are their writer's, which publishes them before it lets go of the
 * chat; the pass drains a chat under the same lock, so it never publishes alongside a writer.
 */
export async function relayStaleChatEvents(chats: ChatRepository, staleMs: number): Promise<void> {
  const cutoff = new Date(Date.now() - staleMs);
  for (const chat of await chats.withPendingOutbox(500)) {
    // A flag left up over an empty outbox would be read on every pass: the drain lowers it.
    if (chat.outbox.length === 0 || chat.outbox.some((e) => new Date(e.at) < cutoff)) await chats.drain(chat.id);
  }
}
