import { AppError, notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { decideTransition, type ChatAction } from '../domain/chat-state.js';
import { pendingChatEvent } from '../domain/chat-events.js';
import { mustTakePart, type ChatDeps } from './deps.js';

/**
 * accept / reject / block / unblock: the state machine's decision on the chat as it is under its
 * write lock, stored with its event in the same hold.
 */
export async function applyChatAction(
  deps: ChatDeps,
  command: { userId: string; chatId: string; action: ChatAction },
): Promise<ChatRecord> {
  const { userId, chatId, action } = command;
  const changed = await deps.chats.edit(chatId, (chat) => {
    mustTakePart(chat, userId);
    const now = deps.now();
    const decision = decideTransition(chat, action, userId, now);
    if (!decision.ok) throw new AppError(decision.code, decision.message);
    return { state: decision.change, events: [pendingChatEvent(decision.event, userId, now)] };
  });
  if (!changed) throw notFound('Chat not found');
  return changed;
}
