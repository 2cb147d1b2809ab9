import type { ChatDeps } from './deps.js';

/**
 * `chat.user.list`: ids of the user's accepted (or auto_accepted) chats they have not deleted,
 * the chats whose other participant may see their presence.
 */
export async function listContactChatIds(deps: ChatDeps, command: { userId: string }): Promise<string[]> {
  return deps.chats.contactChatIdsOf(command.userId);
}
