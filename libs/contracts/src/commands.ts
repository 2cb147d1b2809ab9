import { z } from 'zod';
import { objectId } from './common.js';
import { mediaMessageTypes } from './chat.js';
import {
  clientMessageIdSchema,
  deleteScopeSchema,
  emojiSchema,
  MARK_DELIVERED_MAX_IDS,
  MARK_READ_MAX_IDS,
  mediaSchema,
} from './message.js';
import { requestDef, type RequestDef } from './subjects.js';
import type { ServerEventName, ServerEventPayloads } from './socket.js';

// ---- message-api's commands on NATS (`message.<verb>`): the gateway sends them for its sockets ----

/** What every message command answers: the message id and when it happened. */
export const commandAck = z.object({
  messageId: z.string(),
  chatId: z.string(),
  timestamp: z.string(),
  duplicate: z.boolean().optional(),
});
export type CommandAck = z.infer<typeof commandAck>;

/** What a receipt (read, delivered) answers: the ids this call newly recorded. */
const receiptAck = z.object({ chatId: z.string(), messageIds: z.array(z.string()), timestamp: z.string() });

// Content limits are enforced by message-api (configurable); the contract only bounds size.
const rawContent = z.string().max(100_000);
const chatOnly = z.object({ chatId: objectId });
const messageTarget = z.object({ chatId: objectId, messageId: objectId });
const always = () => true;
/** A send is answered once per clientMessageId: the retry gets the first one's message. */
const withClientMessageId = (request: { clientMessageId?: string }) => request.clientMessageId !== undefined;

export const messageSend = requestDef(
  'message.send',
  z.object({
    chatId: objectId,
    content: rawContent,
    replyToId: objectId.optional(),
    clientMessageId: clientMessageIdSchema.optional(),
  }),
  commandAck,
  withClientMessageId,
);

/** `content` is a caption, sent over NATS only: the socket's `send_media` has none (see `clientCommands`). */
export const messageSendMedia = requestDef(
  'message.send_media',
  z.object({
    chatId: objectId,
    messageType: z.enum(mediaMessageTypes),
    media: mediaSchema,
    content: rawContent.optional(),
    replyToId: objectId.optional(),
    clientMessageId: clientMessageIdSchema.optional(),
  }),
  commandAck,
  withClientMessageId,
);

export const messageEdit = requestDef(
  'message.edit',
  messageTarget.extend({ newContent: rawContent }),
  commandAck.extend({ newContent: z.string(), editedAt: z.string() }),
);

export const messageDelete = requestDef(
  'message.delete',
  messageTarget.extend({ scope: deleteScopeSchema.optional() }),
  commandAck.extend({ scope: deleteScopeSchema }),
);

const reactionTarget = messageTarget.extend({ emoji: emojiSchema });
export const messageReact = requestDef('message.react', reactionTarget, commandAck.extend({ emoji: z.string() }));
export const messageUnreact = requestDef('message.unreact', reactionTarget, commandAck.extend({ emoji: z.string() }));

export const messageRead = requestDef(
  'message.read',
  z.object({ chatId: objectId, messageIds: z.array(objectId).min(1).max(MARK_READ_MAX_IDS) }),
  receiptAck,
  always,
);

/** Delivery receipts: the receiver says these messages reached it (recorded once per message). */
export const messageDelivered = requestDef(
  'message.delivered',
  z.object({ chatId: objectId, messageIds: z.array(objectId).min(1).max(MARK_DELIVERED_MAX_IDS) }),
  receiptAck,
  always,
);

// ---- the command table --------------------------------------------------------------------

/** A command the gateway answers itself (rooms, typing): `success` null when it has no success event. */
export interface LocalCommand<
  P extends z.ZodType = z.ZodType,
  S extends ServerEventName | null = ServerEventName | null,
> {
  schema: P;
  success: S;
}

/** A command the gateway forwards to message-api as the NATS request `request`, the caller's id in its header. */
export interface ForwardedCommand<
  Req extends z.ZodType = z.ZodType,
  Res extends z.ZodType = z.ZodType,
  S extends ServerEventName = ServerEventName,
  P extends z.ZodType = Req,
> {
  /** The socket payload: the request's own schema (for `send_media`, it less its NATS-only caption). */
  schema: P;
  success: S;
  request: RequestDef<Req, Res>;
  /** The success event's payload, from message-api's answer. */
  successOf: (ack: z.output<Res>) => ServerEventPayloads[S];
  /** The request's deadline given the usual one (NATS_REQUEST_TIMEOUT_MS); the usual one when absent. */
  timeoutMs?: (payload: z.output<P>, usualMs: number) => number;
}

const local = <P extends z.ZodType, S extends ServerEventName | null>(schema: P, success: S): LocalCommand<P, S> => ({
  schema,
  success,
});

function forwarded<Req extends z.ZodType, Res extends z.ZodType, S extends ServerEventName, P extends z.ZodType = Req>(
  command: Omit<ForwardedCommand<Req, Res, S, P>, 'schema'> & { schema?: P },
): ForwardedCommand<Req, Res, S, P> {
  return { ...command, schema: (command.schema ?? command.request.request) as unknown as P };
}

/**
 * message-api records a receipt one message at a time (FerretDB, see its recordReceipts), a few
 * milliseconds each: a batch of hundreds gets a deadline to match, so that the bus neither gives
 * up on it nor sends it again (the repeat would answer `[]` for what the first attempt recorded).
 */
export const RECEIPT_MS_PER_ID = 15;
const receiptTimeoutMs = (payload: { messageIds: string[] }, usualMs: number) =>
  Math.max(usualMs, payload.messageIds.length * RECEIPT_MS_PER_ID);

const sent = (ack: CommandAck) => ({ messageId: ack.messageId, timestamp: ack.timestamp });
const receipt = (ack: z.output<typeof receiptAck>) => ({ messageIds: ack.messageIds });
const reaction = (ack: CommandAck & { emoji: string }) => ({ messageId: ack.messageId, emoji: ack.emoji });

/**
 * Every client -> server socket event (specification names), declared once: its payload schema,
 * its success event and, when message-api serves it, its NATS request. The socket events
 * (`clientEvents`), the NATS permissions and message-api's handlers are derived from it.
 * @example
 * const { request, successOf, timeoutMs } = clientCommands.mark_as_read;
 * const ack = await bus.request(request, payload, { userId, timeoutMs: timeoutMs?.(payload, usualMs) });
 * socketAck(successOf(ack)); // read_success's payload
 */
export const clientCommands = {
  join_chat: local(chatOnly, 'join_chat_success'),
  leave_chat: local(chatOnly, 'leave_chat_success'),
  send_message: forwarded({ request: messageSend, success: 'send_message_success', successOf: sent }),
  send_media: forwarded({
    request: messageSendMedia,
    schema: messageSendMedia.request.omit({ content: true }),
    success: 'send_media_success',
    successOf: sent,
  }),
  mark_as_read: forwarded({
    request: messageRead,
    success: 'read_success',
    successOf: receipt,
    timeoutMs: receiptTimeoutMs,
  }),
  /** Delivery receipts (docs/api-guide.md, "Delivery receipts"): the receiver says these messages reached it. */
  mark_as_delivered: forwarded({
    request: messageDelivered,
    success: 'delivered_success',
    successOf: receipt,
    timeoutMs: receiptTimeoutMs,
  }),
  typing: local(chatOnly, null),
  stop_typing: local(chatOnly, null),
  edit_message: forwarded({
    request: messageEdit,
    success: 'edit_success',
    successOf: (ack) => ({ messageId: ack.messageId }),
  }),
  delete_message: forwarded({
    request: messageDelete,
    success: 'delete_success',
    successOf: (ack) => ({ messageId: ack.messageId }),
  }),
  add_reaction: forwarded({ request: messageReact, success: 'reaction_success', successOf: reaction }),
  remove_reaction: forwarded({ request: messageUnreact, success: 'reaction_removed_success', successOf: reaction }),
} as const;

export type ClientCommandName = keyof typeof clientCommands;
/** The commands message-api serves. */
export type ForwardedCommandName = {
  [E in ClientCommandName]: (typeof clientCommands)[E] extends { request: RequestDef<z.ZodType, z.ZodType> }
    ? E
    : never;
}[ClientCommandName];

export const forwardedCommandNames = (Object.keys(clientCommands) as ClientCommandName[]).filter(
  (name): name is ForwardedCommandName => 'request' in clientCommands[name],
);

/** What a forwarded command sends on NATS (`data`; the caller's id rides in a header) and what it answers. */
export type CommandRequest<E extends ForwardedCommandName> = z.output<(typeof clientCommands)[E]['request']['request']>;
export type CommandReply<E extends ForwardedCommandName> = z.input<(typeof clientCommands)[E]['request']['reply']>;

/** A forwarded command's NATS request, typed by what it sends and answers: what a generic sender or server of any command takes. */
export type CommandRequestDef<E extends ForwardedCommandName> = RequestDef<
  z.ZodType<CommandRequest<E>>,
  z.ZodType<CommandReply<E>>
>;

/** The NATS subjects of the forwarded commands: the gateway publishes them, message-api serves them. */
export const commandSubjects: string[] = forwardedCommandNames.map((name) => clientCommands[name].request.subject);
