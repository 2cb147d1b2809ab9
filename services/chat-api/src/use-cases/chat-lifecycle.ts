import { AppError, badRequest, conflict, notFound } from '@chat/platform';
import type { ChatRecord } from '../data/chat-record.js';
import { decideRequest, decideTransition, isParticipant, type ChatAction } from '../domain/chat-state.js';
import { pendingChatEvent } from '../bus/chat-events.js';
import type { ChatDeps } from './deps.js';

const MAX_ATTEMPTS = 8;

/** A participant's view of a chat, or 404 for unknown ids and strangers alike. */
export async function loadChatFor(deps: ChatDeps, chatId: string, callerId: string): Promise<ChatRecord> {
  const chat = await deps.chats.findById(chatId);
  if (!chat || !isParticipant(chat, callerId)) throw notFound('Chat not found');
  return chat;
}

/**
 * `POST /api/chats/or-create`: the pair's one chat. Creates a pending request when there is
 * none; otherwise applies the request rules (auto-accept, re-request after own rejection) and
 * brings the chat back if the caller had deleted it.
 */
export async function getOrCreateChat(
  deps: ChatDeps,
  callerId: string,
  recipientId: string,
): Promise<{ chat: ChatRecord; created: boolean }> {
  if (callerId === recipientId)
    throw badRequest('You cannot start a chat with yourself', [
      { field: 'recipientId', message: 'must not be yourself' },
    ]);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let chat = await deps.chats.findByPair(callerId, recipientId);
    if (!chat) {
      const event = pendingChatEvent('created', callerId, deps.now());
      const inserted = await deps.chats.insertPending(callerId, recipientId, event);
      if (inserted) {
        await deps.events.flush(inserted, [event]);
        return { chat: inserted, created: true };
      }
      continue; // the other side created it at the same moment: re-read and apply the rules
    }
    if (chat.hiddenFor.includes(callerId)) {
      const event = pendingChatEvent('restored', callerId, deps.now());
      const restored = await deps.chats.unhideFor(chat.id, callerId, event);
      if (restored) {
        chat = restored;
        await deps.events.flush(chat, [event]);
      }
    }
    const decision = decideRequest(chat, callerId, deps.now());
    if (!decision) return { chat, created: false };
    const event = pendingChatEvent(decision.event, callerId, deps.now());
    const changed = await deps.chats.changeState(chat.id, chat.stateRev, decision.change, event);
    if (!changed) continue; // someone changed the status meanwhile
    await deps.events.flush(changed, [event]);
    return { chat: changed, created: false };
  }
  throw new AppError('CONFLICT', 'The chat is changing too fast, try again');
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

export const acceptChatRequest = (deps: ChatDeps, chatId: string, callerId: string) =>
  applyChatAction(deps, chatId, callerId, 'accept');
export const rejectChatRequest = (deps: ChatDeps, chatId: string, callerId: string) =>
  applyChatAction(deps, chatId, callerId, 'reject');
export const blockChat = (deps: ChatDeps, chatId: string, callerId: string) =>
  applyChatAction(deps, chatId, callerId, 'block');
export const unblockChat = (deps: ChatDeps, chatId: string, callerId: string) =>
  applyChatAction(deps, chatId, callerId, 'unblock');

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
