import { notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { pendingChatEvent } from './publish-chat-events.js';
import type { ChatDeps } from './deps.js';
import { loadChatFor } from './apply-chat-action.js';

/** Hides the chat and its history so far for the caller only. */
export async function deleteChatForUser(deps: ChatDeps, chatId: string, callerId: string): Promise<ChatRecord> {
  const chat = await loadChatFor(deps, chatId, callerId);
  const now = deps.now();
  const event = pendingChatEvent('deleted', callerId, now);
  const updated = await deps.chats.hideFor(chat.id, callerId, now, event);
  if (!updated) throw notFound('Chat not found');
  await deps.events.flush(updated, [event]);
  return updated;
}
