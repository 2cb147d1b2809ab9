import {
  clientCommands,
  forwardedCommandNames,
  isObjectId,
  QUEUE_GROUPS,
  type CommandReply,
  type CommandRequest,
  type CommandRequestDef,
  type ForwardedCommandName,
} from '@chat/contracts';
import { annotateSpan, inSpan, tracingOn, unauthorized, type Bus, type RequestContext } from '@chat/platform';
import type { MessageDeps } from '../../use-cases/deps.js';
import { addReaction } from '../../use-cases/add-reaction.js';
import { deleteMessage } from '../../use-cases/delete-message.js';
import { editMessage } from '../../use-cases/edit-message.js';
import { recordReceipts } from '../../use-cases/record-receipts.js';
import { removeReaction } from '../../use-cases/remove-reaction.js';
import { sendMessage } from '../../use-cases/send-message.js';

type Subscription = ReturnType<Bus['handle']>;

/** The use case behind each command the gateway forwards (commands.ts): its data and the caller's id in, its answer out. */
type CommandUseCases = {
  [E in ForwardedCommandName]: (
    deps: MessageDeps,
    command: CommandRequest<E> & { userId: string },
  ) => Promise<CommandReply<E>>;
};

const useCases: CommandUseCases = {
  send_message: (deps, command) => sendMessage(deps, { ...command, messageType: 'text' }),
  send_media: sendMessage,
  mark_as_read: (deps, command) => recordReceipts(deps, { ...command, kind: 'read' }),
  mark_as_delivered: (deps, command) => recordReceipts(deps, { ...command, kind: 'delivered' }),
  edit_message: editMessage,
  delete_message: deleteMessage,
  add_reaction: addReaction,
  remove_reaction: removeReaction,
};

/** The caller's id from the request header; commands without one are refused. */
const callerOf = (ctx: RequestContext): string => {
  if (!ctx.userId || !isObjectId(ctx.userId)) throw unauthorized('Missing caller');
  return ctx.userId.toLowerCase();
};

/** A command's span names its chat and message, by id: never what the message says. */
const idsOf = (data: { chatId?: unknown; messageId?: unknown }) => ({
  ...(typeof data.chatId === 'string' && { 'chat.id': data.chatId }),
  ...(typeof data.messageId === 'string' && { 'message.id': data.messageId }),
});

function serve<E extends ForwardedCommandName>(bus: Bus, deps: MessageDeps, name: E): Subscription {
  const request = clientCommands[name].request as unknown as CommandRequestDef<E>;
  const useCase: CommandUseCases[E] = useCases[name];
  return bus.handle(request, QUEUE_GROUPS.messageApi, (data, ctx) =>
    inSpan(`use case ${name}`, { attributes: tracingOn() ? idsOf(data) : {} }, async () => {
      const reply = await useCase(deps, { ...data, userId: callerOf(ctx) });
      if (tracingOn()) annotateSpan(idsOf(reply as { messageId?: unknown }));
      return reply;
    }),
  );
}

/** The message.* commands the gateway forwards, served once per request across replicas (queue group). */
export function registerCommandHandlers(bus: Bus, deps: MessageDeps): Subscription[] {
  return forwardedCommandNames.map((name) => serve(bus, deps, name));
}
