import type { z } from 'zod';
import {
  STREAMS,
  chatSubjects,
  messageEventSchema,
  messageEvents,
  messageSubjects,
  type MessageEvent,
  type UnreadChangedEvent,
} from '@chat/contracts';
import type { Bus, Logger, Metrics, RunningConsumer } from '@chat/platform';
import type { ChatModel } from '../data/chat-model.js';
import type { ChatWriteLock } from '../data/chat-write-lock.js';
import type { ChatRecord } from '../data/chat-record.js';
import { isObjectId, projectionRepository, type ProjectionRepository } from '../data/projection-repository.js';
import { previewOf } from '../domain/projection.js';
import { toChatView } from '../domain/chat-view.js';
import type { ChatEvents } from './chat-events.js';

/**
 * What the gateway needs for `unread_message`. The event id is derived from the source event,
 * so a redelivered message event re-publishes under the same id and JetStream drops the copy.
 */
async function publishUnread(bus: Bus, sourceEventId: string, chat: ChatRecord, userId: string): Promise<void> {
  const view = toChatView(chat, userId);
  const event: UnreadChangedEvent = {
    eventId: `${sourceEventId}.unread.${userId}`,
    type: 'unread_changed',
    chatId: chat.id,
    occurredAt: new Date().toISOString(),
    data: {
      userId,
      unreadCount: view.unreadCount,
      lastMessage: view.lastMessage ?? null,
      senderId: view.lastSenderId ?? null,
    },
  };
  await bus.publish(chatSubjects.unread(chat.id), event);
}

// The contract's envelopes type `type` as string, so narrow by hand once the switch has matched.
type EventOf<K extends keyof typeof messageEvents> = z.output<(typeof messageEvents)[K]>;

/** Applies one message event to the chat; safe to run twice for the same event. */
export async function projectMessageEvent(
  deps: { bus: Bus; repo: ProjectionRepository; events: Pick<ChatEvents, 'flush'>; logger: Logger },
  event: MessageEvent,
): Promise<void> {
  const { bus, repo, logger } = deps;
  if (!isObjectId(event.chatId)) {
    logger.warn({ eventId: event.eventId, chatId: event.chatId }, 'message event for a malformed chat id, skipped');
    return;
  }
  switch (event.type) {
    case 'created': {
      const d = (event as EventOf<'created'>).data;
      if (!isObjectId(d.senderId) || !isObjectId(d.receiverId)) {
        logger.warn({ eventId: event.eventId }, 'message event with malformed user ids, skipped');
        return;
      }
      const senderId = d.senderId.toLowerCase();
      const receiverId = d.receiverId.toLowerCase();
      const result = await repo.applyCreated({
        eventId: event.eventId,
        chatId: event.chatId,
        messageId: d.messageId,
        senderId,
        receiverId,
        preview: previewOf(d.messageType, d.content),
        messageType: d.messageType,
        createdAt: new Date(d.createdAt),
      });
      if (!result.applied) {
        // A redelivery after a crash between the write and the publish: publish again (deduplicated).
        if (result.reason === 'ALREADY_APPLIED' && result.chat)
          await publishUnread(bus, event.eventId, result.chat, receiverId);
        else
          logger.warn(
            { eventId: event.eventId, chatId: event.chatId },
            'message event for an unknown chat or non-participants, skipped',
          );
        return;
      }
      await deps.events.flush(result.chat, result.restored);
      await publishUnread(bus, event.eventId, result.chat, receiverId);
      return;
    }
    case 'read': {
      const { readBy: rawReader, unreadCount } = (event as EventOf<'read'>).data;
      const readBy = rawReader.toLowerCase();
      if (!isObjectId(readBy)) return;
      const result = await repo.applyRead({ eventId: event.eventId, chatId: event.chatId, readBy, unreadCount });
      if (result.applied || result.reason === 'ALREADY_APPLIED') {
        if (result.chat) await publishUnread(bus, event.eventId, result.chat, readBy);
      }
      return;
    }
    case 'deleted': {
      const d = (event as EventOf<'deleted'>).data;
      const result = await repo.applyDeleted({
        eventId: event.eventId,
        chatId: event.chatId,
        messageId: d.messageId,
        scope: d.scope,
        deletedBy: d.deletedBy.toLowerCase(),
        senderId: d.senderId.toLowerCase(),
        receiverId: d.receiverId.toLowerCase(),
        wasUnread: d.wasUnread,
        ...(d.createdAt ? { createdAt: d.createdAt } : {}),
        ...(d.alreadyHiddenFor ? { alreadyHiddenFor: d.alreadyHiddenFor.map((u) => u.toLowerCase()) } : {}),
      });
      if (result.applied) {
        for (const userId of result.unreadChangedFor) await publishUnread(bus, event.eventId, result.chat, userId);
      }
      return;
    }
    case 'edited': {
      const d = (event as EventOf<'edited'>).data;
      await repo.applyEdited({
        chatId: event.chatId,
        messageId: d.messageId,
        preview: previewOf('text', d.newContent),
      });
      return;
    }
    case 'reaction_added':
    case 'reaction_removed':
      return; // nothing on the chat depends on reactions
  }
}

/** The durable consumer of the MESSAGES stream that keeps chats' last message and counters. */
export async function startMessageProjection(opts: {
  bus: Bus;
  Chat: ChatModel;
  lock: ChatWriteLock;
  events: ChatEvents;
  logger: Logger;
  metrics: Metrics;
  durable: string;
}): Promise<RunningConsumer> {
  const projected = opts.metrics.counter(
    'chat_projection_events_total',
    'Message events projected onto chats, by type',
    ['type'],
  );
  const deps = {
    bus: opts.bus,
    repo: projectionRepository(opts.Chat, opts.lock),
    events: opts.events,
    logger: opts.logger,
  };
  return opts.bus.consume({
    stream: STREAMS.messages.name,
    durable: opts.durable,
    filterSubjects: [messageSubjects.all],
    schema: messageEventSchema,
    handler: async (event) => {
      await projectMessageEvent(deps, event);
      projected.inc({ type: event.type });
    },
  });
}
