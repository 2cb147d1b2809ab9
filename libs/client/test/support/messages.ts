import type { Message } from '@chat/client';

/** The user the unit tests' store belongs to, and the other participant (who sends). */
export const ME = 'a'.repeat(24);
export const PEER = 'b'.repeat(24);

/** Message `n` of a chat from PEER: id from n, seq n, rev n unless `patch` says otherwise. */
export function msg(n: number, patch: Partial<Message> = {}): Message {
  return {
    _id: n.toString(16).padStart(24, '0'),
    chatId: 'c'.repeat(24),
    seq: n,
    rev: n,
    senderId: PEER,
    receiverId: ME,
    content: `m${n}`,
    messageType: 'text',
    media: null,
    clientMessageId: `cm-${n}`,
    isEdited: false,
    editedAt: null,
    readBy: [],
    deliveredTo: [],
    reactions: [],
    replyTo: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}

/** The id of message `n`. */
export const id = (n: number): string => msg(n)._id;
