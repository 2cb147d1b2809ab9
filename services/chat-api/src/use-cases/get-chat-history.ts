import { forbidden } from '@chat/platform';
import type { ChatListKind, Page } from '../data/chat-repository.js';
import type { ChatDeps } from './deps.js';
import { ChatPage } from './list-chats.js';

/** Endpoint 13: only the caller's own history (403 for anyone else's). */
export async function getUserChatHistory(
  deps: ChatDeps,
  callerId: string,
  userId: string,
  opts: Page & { includeArchived: boolean },
): Promise<ChatPage> {
  if (userId !== callerId) throw forbidden('You can only read your own chat history');
  const list: ChatListKind = { kind: 'history', includeArchived: opts.includeArchived };
  return deps.chats.list(callerId, list, { page: opts.page, limit: opts.limit });
}
