import { z } from 'zod';
import { chatStatusSchema, mediaMessageTypes, messageTypeSchema, type ChatView } from './chat.js';
import { isoDate, paginationSchema } from './common.js';
import type { UploadedFile } from './media.js';
import {
  mediaSchema,
  type MessageChanges,
  type MessageTombstone,
  type MessageView,
  type ReplyPreview,
} from './message.js';
import { mirrorOf } from './mirror.js';

/**
 * What the REST routes answer, as zod schemas for the API descriptions (src/docs). The services
 * build these bodies from the interfaces in chat.ts, message.ts and media.ts; each view here
 * mirrors its interface (see mirror.ts), and the envelopes follow the routes' `res.json` calls.
 */

/** Ids the services answer with: ObjectIds, lower case. */
const id = z.string().regex(/^[0-9a-f]{24}$/);

export const chatViewSchema = mirrorOf<ChatView>()(
  z.object({
    _id: id,
    participants: z.array(id),
    status: chatStatusSchema,
    requestedBy: id,
    acceptedAt: isoDate.nullish(),
    lastMessage: z.string().nullish(),
    lastMessageAt: isoDate.nullish(),
    lastMessageType: messageTypeSchema.nullish(),
    lastSenderId: id.nullish(),
    unreadCount: z.number().int().nonnegative().describe("The caller's own unread count"),
    isArchived: z.boolean().describe("The caller's own archive flag"),
    blockedBy: id.nullish(),
    createdAt: isoDate,
    updatedAt: isoDate,
    messageCount: z.number().int().nonnegative().optional().describe('Messages the caller can still see'),
  }),
);

export const replyPreviewSchema = mirrorOf<ReplyPreview>()(
  z.object({
    messageId: id,
    senderId: id,
    content: z.string().describe('At most 100 code points of the replied text; empty once it is gone for the viewer'),
    messageType: messageTypeSchema,
    isDeleted: z.boolean().optional(),
  }),
);

export const messageViewSchema = mirrorOf<MessageView>()(
  z.object({
    _id: id,
    chatId: id,
    seq: z.number().int().describe('Send order within the chat (gaps possible)'),
    rev: z.number().int().describe("The chat's change number of this message's latest change"),
    senderId: id,
    receiverId: id,
    content: z.string(),
    messageType: messageTypeSchema,
    media: mediaSchema.nullish(),
    clientMessageId: z.string(),
    isEdited: z.boolean(),
    editedAt: isoDate.nullish(),
    readBy: z.array(z.object({ userId: id, readAt: isoDate })),
    deliveredTo: z.array(z.object({ userId: id, deliveredAt: isoDate })),
    reactions: z.array(z.object({ userId: id, emoji: z.string(), createdAt: isoDate })),
    replyTo: replyPreviewSchema.nullish(),
    isDeleted: z.boolean().optional(),
    createdAt: isoDate,
    updatedAt: isoDate,
  }),
);

export const messageTombstoneSchema = mirrorOf<MessageTombstone>()(
  z.object({ _id: id, chatId: id, rev: z.number().int(), seq: z.number().int(), isDeleted: z.literal(true) }),
);

export const messageChangesSchema = mirrorOf<MessageChanges>()(
  z.object({
    changes: z.array(z.union([messageViewSchema, messageTombstoneSchema])).describe('In rev order'),
    rev: z.number().int().describe('Pass as `since` next time'),
    hasMore: z.boolean(),
  }),
);

export const uploadedFileSchema = mirrorOf<UploadedFile>()(
  z.object({
    url: z.string(),
    fileId: z.string(),
    fileName: z.string(),
    fileSize: z.number().int().nonnegative(),
    mimeType: z.string(),
    messageType: z.enum(mediaMessageTypes).describe("Detected from the file's bytes"),
    duration: z.number().nonnegative().optional(),
    uploadedAt: isoDate,
  }),
);

/** ImageKit's client-upload signature (media-service's UploadToken). */
export const uploadTokenSchema = z.object({
  token: z.string(),
  expire: z.number().int(),
  signature: z.string(),
  publicKey: z.string(),
  urlEndpoint: z.string(),
});

/** Endpoint 17's `data`: the storage's own metadata (open-ended) with our record of the file. */
export const mediaMetadataSchema = uploadedFileSchema
  .extend({ chatId: id, uploadedBy: id, storage: z.enum(['local', 'imagekit']) })
  .loose();

// ---- envelopes: `{ status, message, ... }`, the status equal to the HTTP status ----------

const envelope = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.object({ status: z.number().int(), message: z.string(), ...shape });
/** Media routes also say `success: true`. */
const mediaEnvelope = <Shape extends z.ZodRawShape>(shape: Shape) => envelope({ success: z.literal(true), ...shape });

export const chatResponseSchema = envelope({ data: chatViewSchema });
export const chatListResponseSchema = envelope({ data: z.array(chatViewSchema), pagination: paginationSchema });
export const statusOnlyResponseSchema = envelope({});

export const messageListResponseSchema = envelope({
  data: z.array(messageViewSchema),
  chatInfo: z.object({ chatId: id, status: chatStatusSchema, participants: z.array(id) }),
  pagination: paginationSchema,
});
export const messageSearchResponseSchema = envelope({
  data: z.array(messageViewSchema),
  pagination: paginationSchema.describe('`total` counts the matches within `window` only'),
  window: z
    .object({
      fromSeq: z.number().int(),
      toSeq: z.number().int(),
      complete: z.boolean().describe('False when older messages were not examined'),
      beforeSeq: z.number().int().nullable().describe('Pass as `beforeSeq` to search the next older window'),
    })
    .describe('The seqs this request examined'),
});
export const messageChangesResponseSchema = envelope({ data: messageChangesSchema });

export const uploadResponseSchema = mediaEnvelope({ data: uploadedFileSchema });
export const bulkUploadResponseSchema = mediaEnvelope({
  data: z.array(uploadedFileSchema),
  failed: z.array(
    z.object({ index: z.number().int(), fileName: z.string(), status: z.number().int(), message: z.string() }),
  ),
  summary: z.object({
    totalAttempted: z.number().int(),
    successful: z.number().int(),
    failed: z.number().int(),
  }),
});
export const uploadTokenResponseSchema = mediaEnvelope({ data: uploadTokenSchema });
export const mediaMetadataResponseSchema = mediaEnvelope({ data: mediaMetadataSchema });
export const mediaDeletedResponseSchema = mediaEnvelope({});
