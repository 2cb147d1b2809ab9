import { forbidden } from '@chat/platform';
import type { Page } from '../data/chat-repository.js';
import type { ChatDeps } from './deps.js';
import type { ChatPage } from './list-chats.js';

/** Endpoint 13: only the caller's own history (403 for anyone else's). */
export async function getChatHistory(
  deps: ChatDeps,
  command: {
    userId: string;
    /** Whose history is asked for (the path's user). */
    ownerId: string;
    includeArchived: boolean;
    page: Page;
  },
): Promise<ChatPage> {
  const { userId, ownerId, includeArchived, page } = command;
  if (ownerId !== userId) throw forbidden('You can only read your own chat history');
  return deps.chats.list(userId, { kind: 'history', includeArchived }, page);
}
