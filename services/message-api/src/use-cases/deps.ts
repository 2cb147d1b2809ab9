import type { ChatAccess } from '@chat/contracts';
import { badRequest, type KeyedLock } from '@chat/platform';
import { messageContent } from '@chat/contracts';
import type { AccessGate } from '../clients/access-gate.js';
import type { EventOutbox } from '../data/event-outbox.js';
import type { ChatNumbers } from '../data/chat-numbers.js';
import type { MessageRepository } from '../data/message-repository.js';
import type { OutboxRows } from '../data/outbox-rows.js';
import type { Viewer } from '../domain/visibility.js';
import type { MessageWriter } from '../data/message-writer.js';

/** Everything a use case may touch, passed in (tests swap the publisher inside `outbox`). */
export interface MessageDeps {
  repo: MessageRepository;
  /** New messages: numbered and stored by group commit, no lock. */
  writer: MessageWriter;
  /** Changes of existing messages (edit, delete, reactions, reads): one writer per chat, in Redis. */
  locks: KeyedLock;
  numbers: ChatNumbers;
  outbox: EventOutbox;
  /** Receipts kept until their event is published. */
  outboxRows: OutboxRows;
  access: AccessGate;
  contentMax: number;
  /** Most messages `/search` examines per request (newest first). */
  searchWindow: number;
}

export const viewerOf = (access: ChatAccess, userId: string): Viewer => ({
  chatId: access.chatId,
  userId,
  clearedAt: access.clearedAt ? new Date(access.clearedAt) : null,
});

/** Trimmed text of 1..contentMax code points, else a 400 naming the field. */
export function validContent(text: string, max: number, field: string): string {
  const parsed = messageContent(max).safeParse(text);
  if (!parsed.success)
    throw badRequest(`Invalid ${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, [
      { field, message: parsed.error.issues[0]?.message },
    ]);
  return parsed.data;
}
