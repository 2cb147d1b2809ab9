/**
 * Who sees which message. A message is visible to a viewer unless it was deleted for
 * everyone, the viewer hid it for themselves (`deletedBy`), or the viewer deleted the chat
 * after it was sent (`clearedAt`: messages at or before it are gone for them).
 */
export interface Viewer {
  chatId: string;
  userId: string;
  /** When this viewer deleted the chat, if they did. */
  clearedAt: Date | null;
}

export interface VisibilityFacts {
  deletedForEveryone?: boolean;
  deletedBy?: readonly string[];
  createdAt: Date;
}

export function isVisibleTo(message: VisibilityFacts, viewer: Viewer): boolean {
  if (message.deletedForEveryone) return false;
  if (message.deletedBy?.includes(viewer.userId)) return false;
  if (viewer.clearedAt && message.createdAt.getTime() <= viewer.clearedAt.getTime()) return false;
  return true;
}

/** What the chat's answer says about the other participant (chat.access.check). */
export interface OtherParticipant {
  chatId: string;
  otherUserId: string;
  otherClearedAt?: string | null;
}

/** The caller as a viewer of the chat's messages, from the chat's answer for them (chat.access.check). */
export const viewerOf = (chat: { chatId: string; clearedAt: string | null }, userId: string): Viewer => ({
  chatId: chat.chatId,
  userId,
  clearedAt: chat.clearedAt ? new Date(chat.clearedAt) : null,
});

/** The other participant as a viewer of the chat's messages. */
export const otherViewerOf = (chat: OtherParticipant): Viewer => ({
  chatId: chat.chatId,
  userId: chat.otherUserId,
  clearedAt: chat.otherClearedAt ? new Date(chat.otherClearedAt) : null,
});

/**
 * Whom a change of `message` (edit, reaction) is kept from (the event's `hiddenFrom`): the other
 * participant when they hid the message or deleted the chat after it. They do not see the
 * message; its changes are none of their business either.
 */
export const changeHiddenFrom = (message: VisibilityFacts, chat: OtherParticipant): string[] =>
  isVisibleTo(message, otherViewerOf(chat)) ? [] : [chat.otherUserId];

/** Chat states whose receipts reach only the user who gave them: a blocked or rejected chat is silent. */
const SILENT_STATUSES: readonly string[] = ['blocked', 'rejected'];

/** Whom a receipt (read, delivered) is kept from: the other participant of a blocked or rejected chat. */
export const receiptHiddenFrom = (chat: OtherParticipant & { status: string }): string[] =>
  SILENT_STATUSES.includes(chat.status) ? [chat.otherUserId] : [];

/** Regex metacharacters lose their power: the query is matched literally. */
export const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

export type DeleteScope = 'everyone' | 'me';

/**
 * The sender deletes for everyone by default, the receiver hides for themselves;
 * the receiver may not delete for everyone.
 */
export function resolveDeleteScope(requested: DeleteScope | undefined, isSender: boolean): DeleteScope | 'forbidden' {
  const scope = requested ?? (isSender ? 'everyone' : 'me');
  if (scope === 'everyone' && !isSender) return 'forbidden';
  return scope;
}

/** The key that makes a reaction unique per (user, emoji) on a message. */
export const reactionKey = (userId: string, emoji: string): string => `${userId}:${emoji}`;

/** First `max` code points of a text, for reply previews. */
export const preview = (text: string, max = 100): string => {
  const points = [...text];
  return points.length <= max ? text : `${points.slice(0, max).join('')}…`;
};
