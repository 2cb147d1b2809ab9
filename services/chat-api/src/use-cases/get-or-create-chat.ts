import { AppError, badRequest } from '@chat/platform';
import type { ChatEdit, ChatRecord } from '../domain/chat.js';
import { decideRequest } from '../domain/chat-state.js';
import { pendingChatEvent } from './publish-chat-events.js';
import type { ChatDeps } from './deps.js';
import { MAX_ATTEMPTS } from './apply-chat-action.js';

const needsEdit = (chat: ChatRecord, callerId: string, now: Date): boolean =>
  chat.hiddenFor.includes(callerId) || decideRequest(chat, callerId, now) !== null;

/**
 * `POST /api/chats/or-create`: the pair's one chat. Creates a pending request when there is
 * none; otherwise, on the chat as it is under its write lock and in one write, brings the chat
 * back if the caller had deleted it and applies the request rules (auto-accept, re-request after
 * own rejection).
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
    const existing = await deps.chats.findByPair(callerId, recipientId);
    if (!existing) {
      const event = pendingChatEvent('created', callerId, deps.now());
      const inserted = await deps.chats.insertPending(callerId, recipientId, event);
      if (inserted) return { chat: inserted, created: true };
      continue; // the other side created it at the same moment: re-read and apply the rules
    }
    // Nothing to change on the chat as just read: answer it as of that read (a read needs no lock).
    if (!needsEdit(existing, callerId, deps.now())) return { chat: existing, created: false };
    const chat = await deps.chats.edit(existing.id, (current) => {
      const now = deps.now();
      const edit: ChatEdit = { events: [] };
      if (current.hiddenFor.includes(callerId)) {
        edit.unhide = callerId;
        edit.events.push(pendingChatEvent('restored', callerId, now));
      }
      const decision = decideRequest(current, callerId, now);
      if (decision) {
        edit.state = decision.change;
        edit.events.push(pendingChatEvent(decision.event, callerId, now));
      }
      return edit.events.length > 0 ? edit : null;
    });
    if (chat) return { chat, created: false };
  }
  throw new AppError('CONFLICT', 'The chat is changing too fast, try again');
}
