import { z } from 'zod';
import { objectId } from './common.js';
import { chatStatusSchema, mediaMessageTypes, messageTypeSchema } from './chat.js';
import { deleteScopeSchema, mediaSchema } from './message.js';

/**
 * Every NATS subject, with its payload schemas (message-api's commands are in commands.ts, with the
 * socket events that send them). Request/reply subjects are `<service>.<verb>`;
 * the caller's user id and the request id travel in headers (see libs/platform nats).
 * Services use these definitions, never string literals.
 */
export interface RequestDef<Req extends z.ZodType, Res extends z.ZodType> {
  subject: string;
  request: Req;
  reply: Res;
  /**
   * Whether sending this request twice does what sending it once does, so the caller may
   * send it again when the first got no answer (a NATS node died with it in flight).
   */
  retrySafe: (request: z.input<Req>) => boolean;
}
const never = () => false;
const always = () => true;
/** A request/reply subject; not retry-safe unless `retrySafe` says so. */
export const requestDef = <Req extends z.ZodType, Res extends z.ZodType>(
  subject: string,
  request: Req,
  reply: Res,
  retrySafe: (request: z.input<Req>) => boolean = never,
) => ({ subject, request, reply, retrySafe }) as RequestDef<Req, Res>;

export const QUEUE_GROUPS = {
  chatApi: 'chat-api',
  messageApi: 'message-api',
  mediaService: 'media-service',
  gateway: 'realtime-gateway',
} as const;

// ---- chat-api queries -------------------------------------------------------------------

export const chatActions = ['read', 'send'] as const;
export const accessDenialReasons = ['NOT_FOUND', 'NOT_PARTICIPANT', 'STATUS'] as const;

/** What a service needs to know about one chat for one user. */
export const chatAccessSchema = z.object({
  chatId: z.string(),
  participants: z.array(z.string()),
  otherUserId: z.string(),
  status: chatStatusSchema,
  requestedBy: z.string(),
  blockedBy: z.string().nullable(),
  /** Messages created at or before this instant are hidden for the caller (they deleted the chat). */
  clearedAt: z.string().nullable(),
  /** The other participant's clearedAt: message-api keeps changes of messages they no longer see from their sockets. */
  otherClearedAt: z.string().nullable().optional(),
  /** Messages the caller can see in the chat, as chat-api keeps the count (history's `pagination.total`). */
  messageCount: z.number().int().nonnegative().optional(),
});
export type ChatAccess = z.infer<typeof chatAccessSchema>;

export const chatAccessCheck = requestDef(
  'chat.access.check',
  z.object({ chatId: objectId, userId: objectId, action: z.enum(chatActions) }),
  z.discriminatedUnion('allowed', [
    z.object({ allowed: z.literal(true), chat: chatAccessSchema }),
    z.object({
      allowed: z.literal(false),
      reason: z.enum(accessDenialReasons),
      message: z.string(),
      chat: chatAccessSchema.optional(),
    }),
  ]),
  always,
);

/**
 * The chats whose rooms hear a user's presence: their contacts' chats (accepted or
 * auto_accepted, not deleted by them). Pending, rejected and blocked chats never do (docs/api-guide.md).
 */
export const chatListForUser = requestDef(
  'chat.user.list',
  z.object({ userId: objectId }),
  z.object({ chatIds: z.array(z.string()) }),
  always,
);

// ---- message-api commands: in commands.ts, beside the socket events that send them ------

// ---- media-service queries --------------------------------------------------------------

/** Was this file uploaded into this chat by this user? (message-api asks before `send_media`.) */
export const mediaFileCheck = requestDef(
  'media.file.check',
  z.object({ fileId: z.string().min(1).max(200), chatId: objectId, userId: objectId }),
  z.object({
    ok: z.boolean(),
    media: mediaSchema.optional(),
    /** The type media-service detected from the file's bytes: a send_media must carry this one. */
    messageType: z.enum(mediaMessageTypes).optional(),
  }),
  always,
);

/**
 * Deletes the file of a media message deleted for everyone: message-api's eraser asks, again
 * until it is answered, so a failed deletion or a media-service that was down is retried. Only
 * a file `uploaderId` uploaded into `chatId` is deleted; `deleted: false` when there was none
 * (already gone, or not that user's), which is as done as a deletion.
 */
export const mediaFileDelete = requestDef(
  'media.file.delete',
  z.object({ fileId: z.string().min(1).max(200), chatId: objectId, uploaderId: objectId }),
  z.object({ deleted: z.boolean() }),
  always,
);

// ---- JetStream domain events --------------------------------------------------------------

/** Each stream is declared (created, its limits updated) by its owner only (nats-permissions.ts). */
export const STREAMS = {
  chats: { name: 'CHATS', subjects: ['chats.>'] },
  messages: { name: 'MESSAGES', subjects: ['messages.>'] },
} as const;

/**
 * Every durable consumer by name: a service may create, pull from and ack only its own
 * (nats-permissions.ts), so a name is fixed here, not configured.
 */
export const DURABLES = {
  /** chat-api: projects message events onto chats (last message, counters, unread). */
  chatProjection: { stream: STREAMS.messages.name, name: 'chat-api-projection' },
  /** message-api: erases the text of messages deleted for everyone from the stream. */
  textEraser: { stream: STREAMS.messages.name, name: 'message-api-text-eraser' },
  /** realtime-gateway: takes sockets out of the rooms of chats blocked, rejected or deleted. */
  roomExits: { stream: STREAMS.chats.name, name: 'realtime-gateway-broadcast' },
  /** realtime-gateway's former fan-out of message events: each gateway deletes it at start. */
  retiredMessageBroadcast: { stream: STREAMS.messages.name, name: 'realtime-gateway-broadcast' },
} as const;
export type DurableRef = (typeof DURABLES)[keyof typeof DURABLES];

/**
 * Every event has an id (JetStream de-duplicates on it, consumers use it for idempotency). Its
 * `type` stays a literal, so a union of envelopes narrows by `type` in a switch.
 */
const envelope = <const Type extends string, T extends z.ZodType>(type: Type, data: T) =>
  z.object({
    eventId: z.string(),
    type: z.literal(type),
    chatId: z.string(),
    occurredAt: z.string(),
    data,
  });

const chatSnapshot = z.object({
  chatId: z.string(),
  participants: z.array(z.string()),
  status: chatStatusSchema,
  requestedBy: z.string(),
  blockedBy: z.string().nullable(),
  /** Who did it. */
  actorId: z.string(),
});

export const chatEventTypes = [
  'created',
  'accepted',
  'auto_accepted',
  'rejected',
  'blocked',
  'unblocked',
  'archived',
  'unarchived',
  'deleted',
  'restored',
] as const;
export type ChatEventType = (typeof chatEventTypes)[number];

export const chatEventSchema = z.object({
  eventId: z.string(),
  type: z.enum(chatEventTypes),
  chatId: z.string(),
  occurredAt: z.string(),
  data: chatSnapshot,
});
export type ChatEvent = z.infer<typeof chatEventSchema>;

/**
 * After the projection changes a user's unread count: what `unread_message` needs. `lastMessage`
 * is always null (kept for the socket payload's shape): a notice never carries message text.
 */
export const unreadChangedEvent = envelope(
  'unread_changed',
  z.object({
    userId: z.string(),
    unreadCount: z.number().int().nonnegative(),
    lastMessage: z.string().nullable(),
    senderId: z.string().nullable(),
  }),
);
export type UnreadChangedEvent = z.infer<typeof unreadChangedEvent>;

export const chatSubjects = {
  event: (chatId: string, type: ChatEventType) => `chats.${chatId}.${type}`,
  all: 'chats.>',
  /** Every chat event, type by type: what changes a chat's state. */
  stateChanges: chatEventTypes.map((type) => `chats.*.${type}`),
};

/**
 * Notices for one user's sockets on core NATS, kept by no stream: derived data that the next
 * notice or `GET /api/chats` (the authority) corrects, so a lost one costs nothing durable.
 * `notices.<userId>.<kind>`; a gateway node takes the ones for users with a socket on it.
 */
export const noticeSubjects = {
  unread: (userId: string) => `notices.${userId}.unread`,
  all: 'notices.>',
  /** The user a notice is for, from its subject. */
  userOf: (subject: string): string | undefined => subject.split('.')[1],
};

const messageRef = z.object({ messageId: z.string(), rev: z.number().int() });

/**
 * Internal, never sent to a client: users whose sockets the gateway keeps this event from. The
 * other participant of a blocked or rejected chat, for a receipt; a participant who hid the
 * message or deleted the chat after it, for an edit or a reaction. Durable consumers ignore it.
 */
const hiddenFrom = z.array(z.string()).optional();
const reactionData = messageRef.extend({ userId: z.string(), emoji: z.string(), timestamp: z.string(), hiddenFrom });

export const messageCreatedData = messageRef.extend({
  seq: z.number().int(),
  senderId: z.string(),
  receiverId: z.string(),
  content: z.string(),
  messageType: messageTypeSchema,
  media: mediaSchema.nullable(),
  clientMessageId: z.string(),
  replyTo: z.string().nullable(),
  createdAt: z.string(),
});

export const messageEvents = {
  created: envelope('created', messageCreatedData),
  edited: envelope(
    'edited',
    messageRef.extend({ newContent: z.string(), editedAt: z.string(), editedBy: z.string(), hiddenFrom }),
  ),
  deleted: envelope(
    'deleted',
    messageRef.extend({
      deletedBy: z.string(),
      scope: deleteScopeSchema,
      /** The message's receiver and sender, so counts can follow a delete for everyone. */
      senderId: z.string(),
      receiverId: z.string(),
      /** Whether the receiver had not read it yet when it was deleted. */
      wasUnread: z.boolean(),
      /** When the deleted message was created (optional): chat-api skips counts of users who had already deleted the chat past it. */
      createdAt: z.string().optional(),
      /** Users who had already hidden the message for themselves (optional): their counts already dropped. */
      alreadyHiddenFor: z.array(z.string()).optional(),
      /**
       * The deleted message's seq and type (optional): chat-api takes a delete for everyone that
       * overtook its message's `created` as that message, so the late `created` never sets a preview.
       */
      seq: z.number().int().optional(),
      messageType: messageTypeSchema.optional(),
      /** For everyone, a media message's file (optional): message-api's eraser has media-service delete it. */
      fileId: z.string().optional(),
    }),
  ),
  reaction_added: envelope('reaction_added', reactionData),
  reaction_removed: envelope('reaction_removed', reactionData),
  read: envelope(
    'read',
    z.object({
      rev: z.number().int(),
      /** Every rev this read spent (one per message marked; `rev` is the highest), so chat-api can count them all as applied. */
      revs: z.array(z.number().int()).optional(),
      /** Messages this read marked: each is marked once per reader, so chat-api takes exactly these off the unread count. */
      messageIds: z.array(z.string()),
      readBy: z.string(),
      timestamp: z.string(),
      hiddenFrom,
    }),
  ),
  delivered: envelope(
    'delivered',
    z.object({
      rev: z.number().int(),
      /** Every rev this delivery spent (one per message recorded; `rev` is the highest), so chat-api can count them all as applied. */
      revs: z.array(z.number().int()),
      /** Messages this delivery recorded: each once per receiver. */
      messageIds: z.array(z.string()),
      deliveredTo: z.string(),
      timestamp: z.string(),
      hiddenFrom,
    }),
  ),
} as const;
export type MessageEventType = keyof typeof messageEvents;
export const messageEventSchema = z.discriminatedUnion('type', [
  messageEvents.created,
  messageEvents.edited,
  messageEvents.deleted,
  messageEvents.reaction_added,
  messageEvents.reaction_removed,
  messageEvents.read,
  messageEvents.delivered,
]);
export type MessageEvent = z.infer<typeof messageEventSchema>;

/** The events that carry a message's text, media URL or file name: erased once it is deleted for everyone. */
export const messageTextEventTypes = ['created', 'edited'] as const satisfies readonly MessageEventType[];

/** Stands for the message id in the subject of an event about several messages (`read`, `delivered`). */
export const SEVERAL_MESSAGES = 'many';

const messageEventSubject = (chatId: string, type: MessageEventType, messageId: string) =>
  `messages.${chatId}.${type}.${messageId}`;

/**
 * `messages.<chatId>.<type>.<messageId>`: the message id is in the subject so that one message's
 * events can be found in the stream by subject (message-api erases the text of a message deleted
 * for everyone); an event about several messages has `SEVERAL_MESSAGES` there.
 * @example messageSubjects.event(chatId, 'edited', messageId) // messages.<chatId>.edited.<messageId>
 */
export const messageSubjects = {
  event: messageEventSubject,
  /** The subject of an event as message-api publishes it: its `data.messageId`, else `SEVERAL_MESSAGES`. */
  forEvent: (event: { chatId: string; type: MessageEventType; data: unknown }) =>
    messageEventSubject(event.chatId, event.type, (event.data as { messageId?: string }).messageId ?? SEVERAL_MESSAGES),
  /** The subjects of one message's events that hold its text (`messageTextEventTypes`). */
  withText: (chatId: string, messageId: string) =>
    messageTextEventTypes.map((type) => messageEventSubject(chatId, type, messageId)),
  all: 'messages.>',
  /** Every event of one chat: what a gateway node with a socket in the chat's room subscribes to. */
  ofChat: (chatId: string) => `messages.${chatId}.>`,
  /** Every `deleted` event, of both scopes (message-api's eraser consumes them). */
  deleted: 'messages.*.deleted.*',
};
