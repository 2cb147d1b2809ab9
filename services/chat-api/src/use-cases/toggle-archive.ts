import { notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { pendingChatEvent } from '../domain/chat-events.js';
import { mustTakePart, type ChatDeps } from './deps.js';

/**
 * Toggles the caller's own archive flag; the other participant's view is untouched. Which way it
 * goes is decided on the chat as it is under its write lock, so two toggles at once end where
 * two toggles one after the other do.
 */
export async function toggleArchive(deps: ChatDeps, command: { userId: string; chatId: string }): Promise<ChatRecord> {
  const { userId, chatId } = command;
  const updated = await deps.chats.edit(chatId, (chat) => {
    mustTakePart(chat, userId);
    const archived = !chat.archivedBy.includes(userId);
    return {
      archive: { userId, archived },
      events: [pendingChatEvent(archived ? 'archived' : 'unarchived', userId, deps.now())],
    };
  });
  if (!updated) throw notFound('Chat not found');
  return updated;
}
