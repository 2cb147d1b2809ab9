import type { z } from 'zod';
import {
  clientCommands,
  forwardedCommandNames,
  type ClientEventName,
  type ForwardedCommandName,
  type ServerEventName,
  type ServerEventPayloads,
} from '@chat/contracts';
import { parseInput } from '@chat/platform';
import { emitEvent } from '../../clients/emit-event.js';
import type { GatewaySocket } from '../../clients/gateway-socket.js';
import { messageCommands } from '../../clients/message-commands.js';
import type { GatewayDeps } from '../../use-cases/deps.js';
import { forwardCommand } from '../../use-cases/forward-command.js';
import { joinChat } from '../../use-cases/join-chat.js';
import { leaveChat } from '../../use-cases/leave-chat.js';
import { startTyping } from '../../use-cases/start-typing.js';
import { stopTyping } from '../../use-cases/stop-typing.js';
import { onClientEvent, type EventGuards } from './on-client-event.js';

/**
 * Every client command of the table, for one socket: its payload decoded with the command's
 * schema, one use case, and its answer sent as the command's success event and ack. The
 * rooms and typing are the gateway's own; the message commands go to message-api.
 */
export function registerClientCommands(socket: GatewaySocket, deps: GatewayDeps, guards: EventGuards): void {
  const userId = socket.data.userId;

  const answered = <P extends z.ZodType, S extends ServerEventName>(
    event: ClientEventName,
    command: { schema: P; success: S },
    run: (input: z.output<P>) => Promise<ServerEventPayloads[S]>,
  ) =>
    onClientEvent(socket, event, guards, async (payload) => {
      const answer = await run(parseInput(command.schema, payload, event));
      emitEvent(socket, command.success, answer);
      return answer;
    });
  // typing and stop_typing have no success event: the ack alone says they were taken.
  const acked = <P extends z.ZodType>(
    event: ClientEventName,
    command: { schema: P },
    run: (input: z.output<P>) => Promise<void>,
  ) =>
    onClientEvent(socket, event, guards, async (payload) => {
      await run(parseInput(command.schema, payload, event));
      return {};
    });
  const forwarded = <E extends ForwardedCommandName>(name: E) =>
    answered(name, messageCommands[name], (payload) => forwardCommand(deps, { userId, name, payload }));

  answered('join_chat', clientCommands.join_chat, ({ chatId }) => joinChat(deps, { userId, socket, chatId }));
  answered('leave_chat', clientCommands.leave_chat, ({ chatId }) => leaveChat(deps, { userId, socket, chatId }));
  acked('typing', clientCommands.typing, ({ chatId }) => startTyping(deps, { userId, socket, chatId }));
  acked('stop_typing', clientCommands.stop_typing, ({ chatId }) => stopTyping(deps, { userId, socket, chatId }));
  forwardedCommandNames.forEach(forwarded);
}
