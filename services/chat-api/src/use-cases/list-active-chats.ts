import type { Page } from '../data/chat-repository.js';
import type { ChatDeps } from './deps.js';
import { ChatPage } from './list-chats.js';

export const listActiveChats = (deps: ChatDeps, callerId: string, page: Page): Promise<ChatPage> =>
  deps.chats.list(callerId, { kind: 'active' }, page);
