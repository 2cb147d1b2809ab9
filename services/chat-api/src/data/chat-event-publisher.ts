import { chatSubjects, type ChatEvent } from '@chat/contracts';
import type { Logger, OutboxPublisher } from '@chat/platform';
import { toChatEvent } from '../domain/chat-events.js';
import type { PublishOutbox } from './chat-outbox.js';

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
