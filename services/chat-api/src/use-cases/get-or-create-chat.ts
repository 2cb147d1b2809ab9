import { AppError, badRequest } from '@chat/platform';
import type { ChatEdit, ChatRecord } from '../domain/chat.js';
import { decideRequest } from '../domain/chat-state.js';
import { pendingChatEvent } from '../domain/chat-events.js';
import type { ChatDeps } from './deps.js';

/** How many times or-create looks again after losing the race to insert the pair's chat. */
const MAX_ATTEMPTS = 8;

const needsEdit = (chat: ChatRecord, userId: string, now: Date): boolean =>
  chat.hiddenFor.includes(userId) || decideRequest(chat, userId, now) !== null;

/**
 * `POST /api/chats/or-create`: the pair's one chat. Creates a pending request when there is
 * none; otherwise, on the chat as it is under its write lock and in one write, brings the chat
 * back if the caller had deleted it and applies the request rules (auto-accept, re-request after
 * own rejection).
 */
export async function getOrCreateChat(
  deps: ChatDeps,
  command: { userId: string; recipientId: string },
): Promise<{ chat: ChatRecord; created: boolean }> {
  const { userId, recipientId } = command;
  if (userId === recipientId)
    throw badRequest('You cannot start a chat with yourself', [
      { field: 'recipientId', message: 'must not be yourself' },
    ]);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await deps.chats.findByPair(userId, recipientId);
    if (!existing) {
      const event = pendingChatEvent('created', userId, deps.now());
      const inserted = await deps.chats.insertPending(userId, recipientId, event);
      if (inserted) return { chat: inserted, created: true };
      continue; // the other side created it at the same moment: re-read and apply the rules
    }
    // Nothing to change on the chat as just read: answer it as of that read (a read needs no lock).
    if (!needsEdit(existing, userId, deps.now())) return { chat: existing, created: false };
    const chat = await deps.chats.edit(existing.id, (current) => {
      const now = deps.now();
      const edit: ChatEdit = { events: [] };
      if (current.hiddenFor.includes(userId)) {
        edit.unhide = userId;
        edit.events.push(pendingChatEvent('restored', userId, now));
      }
      const decision = decideRequest(current, userId, now);
      if (decision) {
        edit.state = decision.change;
        edit.events.push(pendingChatEvent(decision.event, userId, now));
      }
      return edit.events.length > 0 ? edit : null;
    });
    if (chat) return { chat, created: false };
  }
  throw new AppError('CONFLICT', 'The chat is changing too fast, try again');
}
