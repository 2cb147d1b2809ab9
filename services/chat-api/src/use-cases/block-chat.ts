import type { ChatDeps } from './deps.js';
import { applyChatAction } from './apply-chat-action.js';

export const blockChat = (deps: ChatDeps, chatId: string, callerId: string) =>
  applyChatAction(deps, chatId, callerId, 'block');
