import { noticeSubjects, type MessageEvent, type UnreadChangedEvent } from '@chat/contracts';
import type { ChatRecord } from '../domain/chat.js';
import { toChatView } from '../domain/chat-view.js';
import { foldProjections, type ProjectedEvent } from '../domain/message-effects.js';
import { toProjectedEvent } from '../domain/projected-event.js';
import type { ChatDeps } from './deps.js';

/**
 * What the gateway needs for `unread_message`, as a notice on core NATS: it carries the count
 * itself, so a repeat changes nothing and a lost one is corrected by the next or by `GET /api/chats`.
 * Never the message's text (`lastMessage` is null): a notice trails the message events it
 * follows, so it could bring back the text of a message the client just saw deleted.
 */
function unreadNotice(sourceEventId: string, chat: ChatRecord, userId: string, at: Date): UnreadChangedEvent {
  const view = toChatView(chat, userId);
  return {
    eventId: `${sourceEventId}.unread.${userId}`,
    type: 'unread_changed',
    chatId: chat.id,
    occurredAt: at.toISOString(),
    data: {
      userId,
      unreadCount: view.unreadCount,
      lastMessage: null,
      senderId: view.lastSenderId ?? null,
    },
  };
}

/**
 * Applies message events of one chat (in stream order) in one write; an event applied before
 * changes nothing. Each user whose unread count moved, or who was notified by a redelivered
 * event, gets one `unread_changed` with the count after all of them.
 */
export async function projectMessageEvents(
  deps: ChatDeps,
  command: { events: readonly MessageEvent[] },
): Promise<void> {
  const { events } = command;
  const chatId = events[0]?.chatId;
  const kept: { event: MessageEvent; projected: ProjectedEvent }[] = [];
  for (const event of events) {
    const translated = toProjectedEvent(event);
    if ('malformed' in translated) {
      deps.logger.warn(
        { eventId: event.eventId, chatId: event.chatId },
        `message event ${translated.malformed}, skipped`,
      );
      continue;
    }
    if (event.chatId === chatId) kept.push({ event, projected: translated.projected });
  }
  if (!chatId || kept.length === 0) return;
  const outcome = await deps.projections.apply(
    chatId,
    kept.map((k) => k.event.eventId),
    (chat) =>
      foldProjections(
        chat,
        kept.map((k) => k.projected),
        deps.now(),
      ),
  );
  if (!outcome.found) {
    deps.logger.warn({ chatId, events: kept.length }, 'message events for an unknown chat, skipped');
    return;
  }
  // Who to tell, and the last event that concerns them (its id makes the notice's id).
  const notify = new Map<string, string>();
  outcome.outcomes.forEach((o, i) => {
    const { event, projected } = kept[i] as (typeof kept)[number];
    if (o.apply) for (const userId of o.change.unreadChangedFor) notify.set(userId, event.eventId);
    else if (o.reason === 'ALREADY_APPLIED') {
      // A redelivery after a crash between the write and the notice: notify again (the count is absolute).
      const notified =
        projected.type === 'created' ? projected.receiverId : projected.type === 'read' ? projected.readBy : null;
      if (notified) notify.set(notified, event.eventId);
    } else if (o.reason === 'NOT_PARTICIPANT')
      deps.logger.warn({ eventId: event.eventId, chatId }, 'message event for non-participants, skipped');
  });
  for (const [userId, eventId] of notify)
    deps.notices.notify(noticeSubjects.unread(userId), unreadNotice(eventId, outcome.chat, userId, deps.now()));
}
