import { z } from 'zod';
import { messageTypeSchema } from './chat.js';
import { isoDate } from './common.js';
import { socketErrorCodes } from './errors.js';
import { deleteScopeSchema, mediaSchema } from './message.js';
import { mirrorOf, mirrorsOf } from './mirror.js';
import type { ServerEventPayloads, SocketErrorPayload } from './socket.js';

/**
 * The server -> client payloads of socket.ts as zod schemas, for the AsyncAPI description
 * (src/docs). Nobody validates what the gateway emits: these mirror `ServerEventPayloads`
 * (see mirror.ts), and test/mirrors.test.ts fails when an event or a field is missing here.
 */

const id = z.string().regex(/^[0-9a-f]{24}$/);
const messageIds = z.array(id);
const rev = z
  .number()
  .int()
  .describe("The chat's change number (see GET /changes): apply an update only if it is newer");

export const socketErrorSchema = mirrorOf<SocketErrorPayload>()(
  z.object({
    message: z.string(),
    code: z.enum(socketErrorCodes),
    event: z.string().optional().describe('The client event this answers'),
  }),
);

const sent = z.object({ messageId: id, timestamp: isoDate });
const messageOnly = z.object({ messageId: id });
const reacted = z.object({ messageId: id, emoji: z.string() });
const presence = z.object({ userId: id, chatId: id, timestamp: isoDate });
const newMessage = {
  messageId: id,
  chatId: id,
  senderId: id,
  receiverId: id,
  createdAt: isoDate,
  replyTo: id.nullable().describe('The id of the message this one answers'),
  seq: z.number().int(),
  rev,
  clientMessageId: z.string(),
};
const receiptRevs = z
  .array(z.number().int())
  .optional()
  .describe('Every rev the receipt took, one per message (`rev` is the highest): a client sees no gap in them');
const reaction = z.object({ messageId: id, chatId: id, userId: id, emoji: z.string(), timestamp: isoDate, rev });

export const serverEventSchemas = mirrorsOf<ServerEventPayloads>()({
  join_chat_success: z.object({ chatId: id, message: z.string() }),
  leave_chat_success: z.object({ chatId: id }),
  send_message_success: sent,
  send_media_success: sent,
  read_success: z.object({ messageIds: messageIds.describe('The ids this call newly marked (possibly none)') }),
  delivered_success: z.object({ messageIds: messageIds.describe('The ids this call newly recorded (possibly none)') }),
  edit_success: messageOnly,
  delete_success: messageOnly,
  reaction_success: reacted,
  reaction_removed_success: reacted,
  message_received: z.object({ ...newMessage, content: z.string(), messageType: messageTypeSchema }),
  media_received: z.object({ ...newMessage, messageType: messageTypeSchema, media: mediaSchema.nullable() }),
  messages_read: z.object({
    messageIds,
    readBy: id.describe("The reader's id"),
    chatId: id,
    timestamp: isoDate,
    rev,
    revs: receiptRevs,
  }),
  messages_delivered: z.object({
    messageIds,
    deliveredTo: id.describe("The receiver's id"),
    chatId: id,
    timestamp: isoDate,
    rev,
    revs: receiptRevs,
  }),
  user_typing: presence,
  user_stop_typing: presence,
  message_edited: z.object({
    messageId: id,
    chatId: id,
    newContent: z.string(),
    editedAt: isoDate,
    editedBy: id,
    rev,
  }),
  message_deleted: z.object({ messageId: id, chatId: id, deletedBy: id, scope: deleteScopeSchema.optional(), rev }),
  reaction_added: reaction,
  reaction_removed: reaction,
  user_online: presence,
  user_offline: presence,
  unread_message: z.object({
    chatId: id,
    unreadCount: z.number().int().nonnegative().describe("The receiver's new count for the chat"),
    lastMessage: z
      .string()
      .nullable()
      .describe(
        "Always null: the notice never carries message text (it may arrive after the message was deleted). The chat's preview is `lastMessage` in GET /api/chats",
      ),
    senderId: id.nullable(),
  }),
  error: socketErrorSchema,
  server_shutdown: z.object({ message: z.string(), reconnect: z.boolean() }),
});
