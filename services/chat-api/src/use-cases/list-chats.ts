import type { Page } from '../data/chat-repository.js';
import type { ChatRecord } from '../domain/chat.js';
import type { ChatDeps } from './deps.js';

/** One page of a user's chats, and how many there are in all. */
export interface ChatPage {
  items: ChatRecord[];
  total: number;
}

/**
 * The caller's chat requests (pending chats the other side asked for) or active chats (accepted,
 * not archived), newest activity first; never a chat they deleted.
 */
export async function listChats(
  deps: ChatDeps,
  command: { userId: string; kind: 'requests' | 'active'; page: Page },
): Promise<ChatPage> {
  return deps.chats.list(command.userId, { kind: command.kind }, command.page);
}
