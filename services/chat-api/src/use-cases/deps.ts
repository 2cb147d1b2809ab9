import type { ChatRepository } from '../data/chat-repository.js';
import type { PublishChatEvent } from '../bus/chat-events.js';

/** What the chat use cases need: storage, an event publisher and a clock. */
export interface ChatDeps {
  chats: ChatRepository;
  publish: PublishChatEvent;
  now: () => Date;
}
