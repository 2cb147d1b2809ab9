import { notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { isParticipant } from '../domain/chat-state.js';
import type { ChatDeps } from './deps.js';

/** One chat, for a participant (404 otherwise: which chats exist is not revealed). */
export async function getChat(deps: ChatDeps, command: { userId: string; chatId: string }): Promise<ChatRecord> {
  const chat = await deps.chats.findById(command.chatId);
  if (!chat || !isParticipant(chat, command.userId)) throw notFound('Chat not found');
  return chat;
}
