import type { z } from 'zod';
import type { ForwardedCommandName, ServerEventPayloads } from '@chat/contracts';
import { messageCommands, type MessageCommand } from '../clients/message-commands.js';
import type { GatewayDeps } from './deps.js';

/**
 * Sends one of the caller's message commands (send_message, mark_as_read, ...) to message-api
 * as its NATS request, the caller's id in the header; message-api checks the chat's state and
 * that the message belongs to the chat. Answers the payload of the command's success event.
 * A receipt of many messages gets a deadline to match (the table's `timeoutMs`).
 */
export async function forwardCommand<E extends ForwardedCommandName>(
  deps: GatewayDeps,
  command: { userId: string; name: E; payload: z.output<MessageCommand<E>['schema']> },
): Promise<ServerEventPayloads[MessageCommand<E>['success']]> {
  const { userId, name, payload } = command;
  const { request, successOf, timeoutMs } = messageCommands[name];
  const ack = await deps.bus.request(request, payload, {
    userId,
    timeoutMs: timeoutMs?.(payload, deps.requestTimeoutMs),
  });
  return successOf(ack);
}
