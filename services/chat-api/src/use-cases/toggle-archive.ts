import { notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { pendingChatEvent } from './publish-chat-events.js';
import type { ChatDeps } from './deps.js';
import { mustTakePart } from './apply-chat-action.js';

/**
 * Toggles the caller's own archive flag; the other participant's view is untouched. Which way it
 * goes is decided on the chat as it is under its write lock, so two toggles at once end where
 * two toggles one after the other do.
 */
export async function toggleArchive(deps: ChatDeps, chatId: string, callerId: string): Promise<ChatRecord> {
  const updated = await deps.chats.edit(chatId, (chat) => {
    mustTakePart(chat, callerId);
    const archived = !chat.archivedBy.includes(callerId);
    return {
      archive: { userId: callerId, archived },
      events: [pendingChatEvent(archived ? 'archived' : 'unarchived', callerId, deps.now())],
    };
  });
  if (!updated) throw notFound('Chat not found');
  return updated;
}
