import { notFound, type Bus, type Logger } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { isParticipant } from '../domain/chat-state.js';
import type { ChatRepository } from '../data/chat-repository.js';
import type { ProjectionRepository } from '../data/projection-repository.js';

/** What the chat use cases need: storage (which publishes the chat events it writes), notices, a clock. */
export interface ChatDeps {
  chats: ChatRepository;
  /** The message projection's writes of chats. */
  projections: ProjectionRepository;
  /** Where `unread_changed` notices go (core NATS: no stream, no ack). */
  notices: Pick<Bus, 'notify'>;
  logger: Logger;
  now: () => Date;
}

/** Inside a chat edit: a stranger learns nothing (the same 404 as an unknown id). */
export function mustTakePart(chat: ChatRecord, userId: string): void {
  if (!isParticipant(chat, userId)) throw notFound('Chat not found');
}
