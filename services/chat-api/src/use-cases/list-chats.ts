import { forbidden } from '@chat/platform';
import type { Page } from '../data/chat-repository.js';
import type { ChatRecord } from '../domain/chat.js';
import type { ChatDeps } from './deps.js';

/** One page of a user's chats, and how many there are in all. */
export interface ChatPage {
  items: ChatRecord[];
  total: number;
}

export type ChatListCommand = { userId: string; page: Page } & (
  | { kind: 'requests' | 'active' }
  | {
      kind: 'history';
      /** Whose history is asked for (the path's user): only the caller's own is served. */
      ownerId: string;
      includeArchived: boolean;
    }
);

/**
 * The caller's chat requests (pending chats the other side asked for), active chats (accepted,
 * not archived) or whole history (endpoint 13, 403 for anyone else's), newest activity first;
 * never a chat they deleted.
 */
export async function listChats(deps: ChatDeps, command: ChatListCommand): Promise<ChatPage> {
  const { userId, page } = command;
  if (command.kind !== 'history') return deps.chats.list(userId, { kind: command.kind }, page);
  if (command.ownerId !== userId) throw forbidden('You can only read your own chat history');
  return deps.chats.list(userId, { kind: 'history', includeArchived: command.includeArchived }, page);
}
