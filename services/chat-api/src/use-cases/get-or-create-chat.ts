import { AppError, badRequest } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';
import { decideRequest } from '../domain/chat-state.js';
import { pendingChatEvent } from './publish-chat-events.js';
import type { ChatDeps } from './deps.js';
import { MAX_ATTEMPTS } from './apply-chat-action.js';

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
