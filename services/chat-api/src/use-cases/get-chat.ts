import type { ChatRecord } from '../domain/chat.js';
import { loadChatFor } from './apply-chat-action.js';
import type { ChatDeps } from './deps.js';

/** One chat, for a participant (404 otherwise: which chats exist is not revealed). */
export const getChat = (deps: ChatDeps, chatId: string, callerId: string): Promise<ChatRecord> =>
  loadChatFor(deps, chatId, callerId);
