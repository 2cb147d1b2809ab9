import type { ServerEventName, ServerEventPayloads } from '@chat/contracts';

/**
 * Whatever emits server events: a socket, or a room of the cluster's or of this node's sockets.
 * Seen through one method that takes any server event with a payload, which `emitEvent` below
 * ties to the event's own payload type.
 */
export interface EmitTarget {
  emit(event: ServerEventName, payload: ServerEventPayloads[ServerEventName]): unknown;
}

/**
 * Emits a server event whose name is a type parameter (a success event, a broadcast), its
 * payload checked against that event's type.
 * @example emitEvent(io.to(rooms.chat(chatId)), emission.event, emission.payload);
 */
export function emitEvent<E extends ServerEventName>(
  target: EmitTarget,
  event: E,
  payload: ServerEventPayloads[E],
): void {
  target.emit(event, payload);
}
