import { z } from 'zod';
import { codePoints, objectId, PAGE_LIMIT_MAX, paginationQuery, queryInt } from './common.js';
import { messageTypeSchema, type MessageType } from './chat.js';
import { bidiBalanced, hasVisibleText } from './visible-text.js';

export const MESSAGE_CONTENT_MAX = 5_000;
export const MARK_READ_MAX_IDS = 200;
/** docs/api-guide.md: `mark_as_delivered` takes 1 to 500 ids (a client acknowledges a whole catch-up page at once). */
export const MARK_DELIVERED_MAX_IDS = 500;
export const SEARCH_QUERY_MAX = 200;
export const EMOJI_MAX = 16;

/** No NUL characters: the store cannot keep them (a NUL would fail the write, not the request). */
const withoutNul = (s: string) => !s.includes('\u0000');

function contentSchema(max: number) {
  return z
    .string()
    .transform((s) => s.trim())
    .refine((s) => codePoints(s) >= 1, 'must not be empty')
    .refine((s) => codePoints(s) <= max, `must be at most ${max} characters`)
    .refine(withoutNul, 'must not contain NUL characters')
    .refine(
      (s) => s === '' || hasVisibleText(s),
      'must contain visible text, not only whitespace, zero-width, bidi control or variation selector characters',
    )
    .refine(
      bidiBalanced,
      'must close every bidi embedding, override and isolate it opens (U+202A/B/D/E with U+202C, U+2066-U+2068 with U+2069), in order, on the same line, and close nothing else',
    );
}

// One schema per limit, built once: building a zod schema cost a send more CPU (about 40 µs in
// message-api's profile, a tenth of its share) than parsing the text with it.
const contentSchemas = new Map<number, ReturnType<typeof contentSchema>>();

/**
 * Message text (send, caption, edit): trimmed, then 1..max code points (the limit is configurable
 * in message-api), at least one character that draws something (not only whitespace, zero-width,
 * bidi control or variation selector characters: such a message would look empty), and every
 * bidi embedding, override or isolate closed on its own line (see visible-text.ts).
 */
export const messageContent = (max = MESSAGE_CONTENT_MAX) => {
  let schema = contentSchemas.get(max);
  if (!schema) contentSchemas.set(max, (schema = contentSchema(max)));
  return schema;
};

/**
 * One emoji: a recommended emoji or emoji sequence (flags, keycaps, skin tones, ZWJ families),
 * or one pictograph with or without its emoji variation selector (❤ and ❤️). Letters, digits
 * and other text are not reactions. Built with `new RegExp` because the `v` flag is newer than
 * the compile target (Node 20 runs it).
 */
const ONE_EMOJI = new RegExp('^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic}\\uFE0F?)$', 'v');

export const emojiSchema = z
  .string()
  .refine((s) => codePoints(s) >= 1 && codePoints(s) <= EMOJI_MAX, `must be 1 to ${EMOJI_MAX} characters`)
  .refine((s) => ONE_EMOJI.test(s), 'must be one emoji');

/** docs/api-guide.md: a message holds at most this many distinct emoji, and each user this many reactions on it. */
export const REACTION_EMOJI_MAX = 20;
export const REACTIONS_PER_USER_MAX = 10;

export const clientMessageIdSchema = z.string().min(1).max(64).refine(withoutNul, 'must not contain NUL characters');

/** The specification's `media` object, as media-service returns it and `send_media` carries it. */
export const mediaSchema = z.object({
  url: z.string().min(1).max(2048),
  fileId: z.string().min(1).max(200),
  fileName: z.string().max(500).optional(),
  fileSize: z.number().int().nonnegative().optional(),
  mimeType: z.string().max(200).optional(),
  duration: z.number().nonnegative().optional(),
});
export type Media = z.infer<typeof mediaSchema>;

export const deleteScopeSchema = z.enum(['everyone', 'me']);
export type DeleteScope = z.infer<typeof deleteScopeSchema>;

export interface ReplyPreview {
  messageId: string;
  senderId: string;
  content: string;
  messageType: MessageType;
  /** True when the replied message was deleted for everyone or hidden by the viewer (content is then empty). */
  isDeleted?: boolean;
}

/** A message as REST lists and events carry it. */
export interface MessageView {
  _id: string;
  chatId: string;
  seq: number;
  rev: number;
  senderId: string;
  receiverId: string;
  content: string;
  messageType: MessageType;
  media?: Media | null;
  clientMessageId: string;
  isEdited: boolean;
  editedAt?: string | null;
  readBy: { userId: string; readAt: string }[];
  /** Who the message reached (delivery receipts); a reader counts as delivered, at `readAt`, if nothing was recorded before. */
  deliveredTo: { userId: string; deliveredAt: string }[];
  reactions: { userId: string; emoji: string; createdAt: string }[];
  replyTo?: ReplyPreview | null;
  isDeleted?: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/chats/:chatId/messages` query: page/limit plus `before` / `after` cursors. */
export const listMessagesQuery = paginationQuery(50).extend({
  before: objectId.optional(),
  after: objectId.optional(),
});

export const messageTypeOf = messageTypeSchema;

/** `GET /api/chats/:chatId/search` query: `q` taken literally, 1..200 code points. */
export const searchMessagesQuery = paginationQuery(20).extend({
  q: z
    .string({ error: 'is required' })
    .refine(
      (s) => s.length <= SEARCH_QUERY_MAX * 2 && codePoints(s) >= 1 && codePoints(s) <= SEARCH_QUERY_MAX,
      `must be 1 to ${SEARCH_QUERY_MAX} characters`,
    ),
  /** Continue an earlier search below this seq (its response's `window.beforeSeq`). */
  beforeSeq: queryInt(1).optional(),
});

/** `GET /api/chats/:chatId/changes` query: changes after `since` (a per-chat `rev`), at most `limit`. */
export const messageChangesQuery = z.object({
  since: queryInt(0).optional(),
  limit: queryInt(1, PAGE_LIMIT_MAX).optional(),
});

/** A message deleted for everyone, or hidden for the viewer, as `/changes` reports it. */
export interface MessageTombstone {
  _id: string;
  chatId: string;
  rev: number;
  seq: number;
  isDeleted: true;
}

/** `data` of `GET /api/chats/:chatId/changes`: changes in `rev` order and the cursor for the next call. */
export interface MessageChanges {
  changes: (MessageView | MessageTombstone)[];
  /** Pass as `since` next time; every change up to it has been returned. */
  rev: number;
  hasMore: boolean;
}
