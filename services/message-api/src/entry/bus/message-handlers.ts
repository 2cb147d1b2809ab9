type Subscription = ReturnType<Bus['handle']>;
import {
  isObjectId,
  messageDelete,
  messageDelivered,
  messageEdit,
  messageReact,
  messageRead,
  messageSend,
  messageSendMedia,
  messageUnreact,
  QUEUE_GROUPS,
} from '@chat/contracts';
import { unauthorized, type Bus, type RequestContext } from '@chat/platform';
import type { MessageDeps } from '../../use-cases/deps.js';
import { sendMessage } from '../../use-cases/send-message.js';
import { addReaction } from '../../use-cases/add-reaction.js';
import { deleteMessage } from '../../use-cases/delete-message.js';
import { editMessage } from '../../use-cases/edit-message.js';
import { removeReaction } from '../../use-cases/remove-reaction.js';
import { markMessagesDelivered } from '../../use-cases/mark-delivered.js';
import { markMessagesRead } from '../../use-cases/mark-read.js';

/** The caller's id from the request header; commands without one are refused. */
const callerOf = (ctx: RequestContext): string => {
  if (!ctx.userId || !isObjectId(ctx.userId)) throw unauthorized('Missing caller');
  return ctx.userId.toLowerCase();
};

/** The message.* commands the gateway forwards, served once per request across replicas (queue group). */
export function registerCommandHandlers(bus: Bus, deps: MessageDeps): Subscription[] {
  const q = QUEUE_GROUPS.messageApi;
  return [
    bus.handle(messageSend, q, (data, ctx) => sendMessage(deps, callerOf(ctx), { ...data, messageType: 'text' })),
    bus.handle(messageSendMedia, q, (data, ctx) => sendMessage(deps, callerOf(ctx), data)),
    bus.handle(messageEdit, q, (data, ctx) => editMessage(deps, callerOf(ctx), data)),
    bus.handle(messageDelete, q, (data, ctx) => deleteMessage(deps, callerOf(ctx), data)),
    bus.handle(messageReact, q, (data, ctx) => addReaction(deps, callerOf(ctx), data)),
    bus.handle(messageUnreact, q, (data, ctx) => removeReaction(deps, callerOf(ctx), data)),
    bus.handle(messageRead, q, (data, ctx) => markMessagesRead(deps, callerOf(ctx), data)),
    bus.handle(messageDelivered, q, (data, ctx) => markMessagesDelivered(deps, callerOf(ctx), data)),
  ];
}
