import type { z } from 'zod';
import { clientCommands, type ForwardedCommand, type ForwardedCommandName } from '@chat/contracts';

type Commands = typeof clientCommands;
type PartsOf<E extends ForwardedCommandName> =
  Commands[E] extends ForwardedCommand<infer Request, infer Reply, infer Success, z.ZodType>
    ? { request: Request; reply: Reply; success: Success }
    : never;

/**
 * A command of the table that message-api serves, seen as the gateway sends it: its socket
 * payload, once decoded, is what its NATS request takes. (For a command picked by a generic
 * name, TypeScript relates its parts only through a mapped type, the one `messageCommands` has.)
 */
export type MessageCommand<E extends ForwardedCommandName> = ForwardedCommand<
  PartsOf<E>['request'],
  PartsOf<E>['reply'],
  PartsOf<E>['success'],
  z.ZodType<z.input<PartsOf<E>['request']>>
>;

/**
 * The commands the gateway forwards to message-api (send_message, mark_as_read, ...), straight
 * from the command table; the compiler checks here that each socket payload is a request
 * message-api takes.
 * @example const { schema, request, successOf } = messageCommands.mark_as_read;
 */
export const messageCommands: { [E in ForwardedCommandName]: MessageCommand<E> } = clientCommands;
