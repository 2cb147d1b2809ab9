import type { ChatRepository } from '../data/chat-repository.js';
import type { ChatEvents } from './publish-chat-events.js';

/** What the chat use cases need: storage, the chat event outbox and a clock. */
export interface ChatDeps {
  chats: ChatRepository;
  events: Pick<ChatEvents, 'flush'>;
  now: () => Date;
}
