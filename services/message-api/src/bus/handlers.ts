type Subscription = ReturnType<Bus['handle']>;
import {
  messageDelete,
  messageEdit,
  messageReact,
  messageRead,
  messageSend,
  messageSendMedia,
  messageUnreact,
  QUEUE_GROUPS,
} from '@chat/contracts';
import { unauthorized, type Bus, type RequestContext } from '@chat/platform';
import type { MessageDeps } from '../usecases/deps.js';
import { sendMessage } from '../usecases/send-message.js';
import { addReaction, deleteMessage, editMessage, removeReaction } from '../usecases/change-message.js';
import { markMessagesRead } from '../usecases/mark-read.js';
import { mappingOutages } from './infra-errors.js';

/** The caller's id from the request header; commands without one are refused. */
const callerOf = (ctx: RequestContext): string => {
  if (!ctx.userId || !/^[0-9a-f]{24}$/i.test(ctx.userId)) throw unauthorized('Missing caller');
  return ctx.userId.toLowerCase();
};

/** The message.* commands the gateway forwards, served once per request across replicas (queue group). */
export function registerCommandHandlers(bus: Bus, deps: MessageDeps): Subscription[] {
  const q = QUEUE_GROUPS.messageApi;
  return [
    bus.handle(messageSend, q, (data, ctx) =>
      mappingOutages(() => sendMessage(deps, callerOf(ctx), { ...data, messageType: 'text' })),
    ),
    bus.handle(messageSendMedia, q, (data, ctx) => mappingOutages(() => sendMessage(deps, callerOf(ctx), data))),
    bus.handle(messageEdit, q, (data, ctx) => mappingOutages(() => editMessage(deps, callerOf(ctx), data))),
    bus.handle(messageDelete, q, (data, ctx) => mappingOutages(() => deleteMessage(deps, callerOf(ctx), data))),
    bus.handle(messageReact, q, (data, ctx) => mappingOutages(() => addReaction(deps, callerOf(ctx), data))),
    bus.handle(messageUnreact, q, (data, ctx) => mappingOutages(() => removeReaction(deps, callerOf(ctx), data))),
    bus.handle(messageRead, q, (data, ctx) => mappingOutages(() => markMessagesRead(deps, callerOf(ctx), data))),
  ];
}
