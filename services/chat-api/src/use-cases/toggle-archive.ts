import { notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { pendingChatEvent } from './publish-chat-events.js';
import type { ChatDeps } from './deps.js';
import { loadChatFor } from './apply-chat-action.js';

/** Toggles the caller's own archive flag; the other participant's view is untouched. */
export async function toggleArchive(deps: ChatDeps, chatId: string, callerId: string): Promise<ChatRecord> {
  const chat = await loadChatFor(deps, chatId, callerId);
  const archive = !chat.archivedBy.includes(callerId);
  const event = pendingChatEvent(archive ? 'archived' : 'unarchived', callerId, deps.now());
  const updated = await deps.chats.setArchived(chat.id, callerId, archive, event);
  if (!updated) throw notFound('Chat not found');
  await deps.events.flush(updated, [event]);
  return updated;
}
