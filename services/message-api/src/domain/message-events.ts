import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { messageSubjects, type messageEvents, type MessageEventType } from '@chat/contracts';
import type { StoredMessage } from './message.js';

export type EventData<T extends MessageEventType> = z.input<(typeof messageEvents)[T]>['data'];

/** An event with its subject, as written to the outbox before it is published. */
export interface OutgoingEvent {
  subject: string;
  event: { eventId: string; type: MessageEventType; chatId: string; occurredAt: string; data: unknown };
}

export function messageEvent<T extends MessageEventType>(
  type: T,
  chatId: string,
  data: EventData<T>,
  eventId: string = randomUUID(),
): OutgoingEvent {
  const event = { eventId, type, chatId, occurredAt: new Date().toISOString(), data };
  return { subject: messageSubjects.forEvent(event), event };
}

/**
 * A new message's `created` event, given the rev it was created with. Its id is derived from the
 * message, so a republish (the relay after a writer died) is stored once by JetStream.
 */
export const createdEvent = (m: StoredMessage, rev: number): OutgoingEvent =>
  messageEvent(
    'created',
    m.chatId,
    {
      messageId: m.id,
      rev,
      seq: m.seq,
      senderId: m.senderId,
      receiverId: m.receiverId,
      content: m.content,
      messageType: m.messageType,
      media: m.media,
      clientMessageId: m.clientMessageId,
      replyTo: m.replyTo,
      createdAt: m.createdAt.toISOString(),
    },
    `${m.id}.created`,
  );
