import type { z } from 'zod';
import type { chatAccessCheck } from '@chat/contracts';
import type { ChatRecord } from './chat.js';
import { decideSend, isParticipant } from './chat-state.js';
import { toChatAccess } from './chat-view.js';

export type AccessReply = z.input<typeof chatAccessCheck.reply>;

/**
 * May `userId` read or send in `chat`? Unknown chat and non-participant are distinct answers;
 * a participant refused for the chat's status gets the chat too, so callers can explain why.
 * Reading is open to both participants in every status (history stays theirs to see).
 */
export function decideAccess(chat: ChatRecord | null, userId: string, action: 'read' | 'send'): AccessReply {
  if (!chat) return { allowed: false, reason: 'NOT_FOUND', message: 'Chat not found' };
  if (!isParticipant(chat, userId))
    return { allowed: false, reason: 'NOT_PARTICIPANT', message: 'Not a participant of this chat' };
  const access = toChatAccess(chat, userId);
  if (action === 'read') return { allowed: true, chat: access };
  const send = decideSend(chat, userId);
  return send.ok
    ? { allowed: true, chat: access }
    : { allowed: false, reason: send.reason, message: send.message, chat: access };
}
