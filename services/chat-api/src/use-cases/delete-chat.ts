import { notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { pendingChatEvent } from '../domain/chat-events.js';
import { mustTakePart, type ChatDeps } from './deps.js';

/**
 * Hides the chat and its history so far for the caller only. `clearedAt` is the moment the delete
 * takes effect under the chat's write lock: every message created at or before it is gone for the
 * caller, in message-api's history and in the projection alike (however late its event arrives).
 * The answer waits until the clock has passed that moment (under a millisecond), so a message
 * sent after the caller got the answer is always created after it, and brings the chat back.
 */
export async function deleteChat(deps: ChatDeps, command: { userId: string; chatId: string }): Promise<ChatRecord> {
  const { userId, chatId } = command;
  let at = new Date(0);
  const updated = await deps.chats.edit(chatId, (chat) => {
    mustTakePart(chat, userId);
    at = deps.now();
    return { hide: { userId, at }, events: [pendingChatEvent('deleted', userId, at)] };
  });
  if (!updated) throw notFound('Chat not found');
  for (let tick = 0; tick < 5 && Date.now() <= at.getTime(); tick++) await new Promise((r) => setTimeout(r, 1));
  return updated;
}
