import { AppError, conflict, notFound } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { decideTransition, isParticipant, type ChatAction } from '../domain/chat-state.js';
import { pendingChatEvent } from './publish-chat-events.js';
import type { ChatDeps } from './deps.js';

export const MAX_ATTEMPTS = 8;

/** A participant's view of a chat, or 404 for unknown ids and strangers alike. */
export async function loadChatFor(deps: ChatDeps, chatId: string, callerId: string): Promise<ChatRecord> {
  const chat = await deps.chats.findById(chatId);
  if (!chat || !isParticipant(chat, callerId)) throw notFound('Chat not found');
  return chat;
}

/** accept / reject / block / unblock: the state machine's decision, stored compare-and-set. */
export async function applyChatAction(
  deps: ChatDeps,
  chatId: string,
  callerId: string,
  action: ChatAction,
): Promise<ChatRecord> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const chat = await loadChatFor(deps, chatId, callerId);
    const decision = decideTransition(chat, action, callerId, deps.now());
    if (!decision.ok) throw new AppError(decision.code, decision.message);
    const event = pendingChatEvent(decision.event, callerId, deps.now());
    const changed = await deps.chats.changeState(chat.id, chat.stateRev, decision.change, event);
    if (!changed) continue;
    await deps.events.flush(changed, [event]);
    return changed;
  }
  throw conflict('The chat is changing too fast, try again');
}
