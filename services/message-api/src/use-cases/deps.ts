import type { KeyedLock } from '@chat/platform';
import type { AccessGate } from '../clients/access-gate.js';
import type { EventOutbox } from '../data/event-outbox.js';
import type { ChatNumbers } from '../data/chat-numbers.js';
import type { MessageRepository } from '../data/message-repository.js';
import type { OutboxRows } from '../data/outbox-rows.js';
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
