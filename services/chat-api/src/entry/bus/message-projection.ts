import {
  DURABLES,
  isObjectId,
  messageEventSchema,
  messageSubjects,
  noticeSubjects,
  type MessageEvent,
  type UnreadChangedEvent,
} from '@chat/contracts';
import type { Bus, Logger, Metrics, RunningConsumer } from '@chat/platform';
import type { ChatModel } from '../../data/chat-documents.js';
import type { ChatWriteLock } from '../../data/chat-write-lock.js';
import type { ChatRecord } from '../../domain/chat.js';
import { projectionRepository, type ProjectionRepository } from '../../data/projection-repository.js';
import { previewOf } from '../../domain/projection.js';
import { foldProjections, type ProjectedEvent } from '../../domain/message-effects.js';
import { toChatView } from '../../domain/chat-view.js';
import type { PublishOutbox } from '../../data/chat-outbox.js';

/**
 * What the gateway needs for `unread_message`, as a notice on core NATS: it carries the count
 * itself, so a repeat changes nothing and a lost one is corrected by the next or by `GET /api/chats`.
 * Never the message's text (`lastMessage` is null): a notice trails the message events it
 * follows, so it could bring back the text of a message the client just saw deleted.
 */
function publishUnread(bus: Bus, sourceEventId: string, chat: ChatRecord, userId: string): void {
  const view = toChatView(chat, userId);
  const event: UnreadChangedEvent = {
    eventId: `${sourceEventId}.unread.${userId}`,
    type: 'unread_changed',
    chatId: chat.id,
    occurredAt: new Date().toISOString(),
    data: {
      userId,
      unreadCount: view.unreadCount,
      lastMessage: null,
      senderId: view.lastSenderId ?? null,
    },
  };
  bus.notify(noticeSubjects.unread(userId), event);
}

/** The event as the domain takes it, or null when the chat does not depend on it or it is malformed. */
function toProjected(event: MessageEvent, logger: Logger): ProjectedEvent | null {
  const malformed = (why: string) => {
    logger.warn({ eventId: event.eventId, chatId: event.chatId }, `message event ${why}, skipped`);
    return null;
  };
  if (!isObjectId(event.chatId)) return malformed('for a malformed chat id');
  switch (event.type) {
    case 'created': {
      const d = event.data;
      if (!isObjectId(d.senderId) || !isObjectId(d.receiverId)) return malformed('with malformed user ids');
      return {
        type: 'created',
        rev: d.rev,
        messageId: d.messageId,
        seq: d.seq,
        senderId: d.senderId.toLowerCase(),
        receiverId: d.receiverId.toLowerCase(),
        preview: previewOf(d.messageType, d.content),
        messageType: d.messageType,
        createdAt: new Date(d.createdAt),
      };
    }
    case 'read': {
      const d = event.data;
      if (!isObjectId(d.readBy)) return malformed('with a malformed reader id');
      return {
        type: 'read',
        rev: d.rev,
        revs: d.revs ?? [],
        readBy: d.readBy.toLowerCase(),
        count: new Set(d.messageIds).size,
        readAt: new Date(d.timestamp),
      };
    }
    case 'deleted': {
      const d = event.data;
      return {
        type: 'deleted',
        rev: d.rev,
        messageId: d.messageId,
        scope: d.scope,
        deletedBy: d.deletedBy.toLowerCase(),
        senderId: d.senderId.toLowerCase(),
        receiverId: d.receiverId.toLowerCase(),
        wasUnread: d.wasUnread,
        ...(d.createdAt ? { createdAt: d.createdAt } : {}),
        ...(d.alreadyHiddenFor ? { alreadyHiddenFor: d.alreadyHiddenFor.map((u) => u.toLowerCase()) } : {}),
        ...(d.seq !== undefined ? { seq: d.seq } : {}),
        ...(d.messageType ? { messageType: d.messageType } : {}),
      };
    }
    case 'edited': {
      const d = event.data;
      return { type: 'edited', rev: d.rev, messageId: d.messageId, preview: previewOf('text', d.newContent) };
    }
    case 'delivered': {
      // Nothing on the chat depends on deliveries; every rev one spent is recorded as applied.
      const d = event.data;
      return { type: 'other', rev: d.rev, revs: d.revs };
    }
    default:
      // Nothing on the chat depends on reactions; their revs are recorded as applied all the same.
      return { type: 'other', rev: event.data.rev };
  }
}

/**
 * Applies message events of one chat (in stream order) in one write; an event applied before
 * changes nothing. Each user whose unread count moved, or who was notified by a redelivered
 * event, gets one `unread_changed` with the count after all of them.
 */
export async function projectMessageEvents(
  deps: { bus: Bus; repo: ProjectionRepository; logger: Logger },
  events: readonly MessageEvent[],
): Promise<void> {
  const { bus, repo, logger } = deps;
  const chatId = events[0]?.chatId;
  const kept = events.flatMap((event) => {
    const projected = toProjected(event, logger);
    return projected && event.chatId === chatId ? [{ event, projected }] : [];
  });
  if (!chatId || kept.length === 0) return;
  const outcome = await repo.apply(
    chatId,
    kept.map((k) => k.event.eventId),
    (chat) =>
      foldProjections(
        chat,
        kept.map((k) => k.projected),
        new Date(),
      ),
  );
  if (!outcome.found) {
    logger.warn({ chatId, events: kept.length }, 'message events for an unknown chat, skipped');
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
      logger.warn({ eventId: event.eventId, chatId }, 'message event for non-participants, skipped');
  });
  for (const [userId, eventId] of notify) publishUnread(bus, eventId, outcome.chat, userId);
}

/** The durable consumer of the MESSAGES stream that keeps chats' last message and counters. */
export async function startMessageProjection(opts: {
  bus: Bus;
  Chat: ChatModel;
  lock: ChatWriteLock;
  /** Publishes the `restored` events a batch writes, before the chat's lock is let go. */
  publish: PublishOutbox;
  logger: Logger;
  metrics: Metrics;
  lingerMs: number;
}): Promise<RunningConsumer> {
  const projected = opts.metrics.counter(
    'chat_projection_events_total',
    'Message events projected onto chats, by type',
    ['type'],
  );
  const deps = {
    bus: opts.bus,
    repo: projectionRepository(opts.Chat, opts.lock, opts.publish),
    logger: opts.logger,
  };
  return opts.bus.consume({
    stream: DURABLES.chatProjection.stream,
    durable: DURABLES.chatProjection.name,
    filterSubjects: [messageSubjects.all],
    schema: messageEventSchema,
    // Chats are independent: project many at once, each chat's events in stream order, and
    // the events of a chat that wait together in one write (PROJECTION_LINGER_MS).
    orderBy: (event) => event.chatId,
    concurrency: 16,
    lingerMs: opts.lingerMs,
    // What a dead replica held comes back soon and is little, well inside the applied-rev window.
    ackWaitMs: 10_000,
    prefetch: 64,
    handler: async (event) => {
      await projectMessageEvents(deps, [event]);
      projected.inc({ type: event.type });
    },
    handleBatch: async (events) => {
      await projectMessageEvents(deps, events);
      for (const event of events) projected.inc({ type: event.type });
    },
  });
}
