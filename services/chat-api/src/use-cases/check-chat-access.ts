import { decideAccess, type AccessReply } from '../domain/access.js';
import type { ChatDeps } from './deps.js';

/**
 * `chat.access.check`: may `userId` read or send in the chat? Answered from the access cache
 * (see ChatCache for how fresh), the hottest query of all.
 */
export async function checkChatAccess(
  deps: ChatDeps,
  command: { userId: string; chatId: string; action: 'read' | 'send' },
): Promise<AccessReply> {
  return decideAccess(await deps.chats.findForAccess(command.chatId), command.userId, command.action);
}
