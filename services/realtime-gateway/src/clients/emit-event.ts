import type { ServerEventName, ServerEventPayloads, ServerToClientEvents } from '@chat/contracts';
import type { GatewaySocket } from './gateway-socket.js';

/** Whatever emits server events: a socket, or a room of the cluster's or of this node's sockets. */
export type EmitTarget = Pick<GatewaySocket, 'emit'>;

/**
 * Emits a server event whose name is a type parameter (a success event, a broadcast): the
 * payload is checked against the event map like any literal `emit`.
 * @example emitEvent(io.to(rooms.chat(chatId)), emission.event, emission.payload);
 */
export function emitEvent<E extends ServerEventName>(
  target: EmitTarget,
  event: E,
  payload: ServerEventPayloads[E],
): void {
  // Socket.IO types the arguments as Parameters<map[E]>, unresolved for a generic E; each event takes just its payload.
  target.emit(event, ...([payload] as Parameters<ServerToClientEvents[E]>));
}
