import type { ChatRepository } from '../data/chat-repository.js';

/** What the chat use cases need: storage (which publishes the chat events it writes) and a clock. */
export interface ChatDeps {
  chats: ChatRepository;
  now: () => Date;
}
