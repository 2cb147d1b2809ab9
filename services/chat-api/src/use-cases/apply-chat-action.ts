import { AppError, notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { decideTransition, isParticipant, type ChatAction } from '../domain/chat-state.js';
import { pendingChatEvent } from './publish-chat-events.js';
import type { ChatDeps } from './deps.js';

/** How many times or-create looks again after losing the race to insert the pair's chat. */
export const MAX_ATTEMPTS = 8;

/** A participant's view of a chat, or 404 for unknown ids and strangers alike. */
export async function loadChatFor(deps: ChatDeps, chatId: string, callerId: string): Promise<ChatRecord> {
  const chat = await deps.chats.findById(chatId);
  if (!chat || !isParticipant(chat, callerId)) throw notFound('Chat not found');
  return chat;
}

/** Inside a chat edit: a stranger learns nothing (the same 404 as an unknown id). */
export function mustTakePart(chat: ChatRecord, callerId: string): void {
  if (!isParticipant(chat, callerId)) throw notFound('Chat not found');
}

/**
 * accept / reject / block / unblock: the state machine's decision on the chat as it is under its
 * write lock, stored with its event in the same hold.
 */
export async function applyChatAction(
  deps: ChatDeps,
  chatId: string,
  callerId: string,
  action: ChatAction,
): Promise<ChatRecord> {
  const changed = await deps.chats.edit(chatId, (chat) => {
    mustTakePart(chat, callerId);
    const now = deps.now();
    const decision = decideTransition(chat, action, callerId, now);
    if (!decision.ok) throw new AppError(decision.code, decision.message);
    return { state: decision.change, events: [pendingChatEvent(decision.event, callerId, now)] };
  });
  if (!changed) throw notFound('Chat not found');
  return changed;
}
