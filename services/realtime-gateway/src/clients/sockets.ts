import type { Server, Socket } from 'socket.io';
import type {
  ClientEventName,
  ClientToServerEvents,
  ServerEventName,
  ServerEventPayloads,
  ServerToClientEvents,
  clientEvents,
} from '@chat/contracts';

/** What the handshake leaves on every socket. */
export interface SocketData {
  userId: string;
  /** When the handshake's token expires (epoch ms): the socket is closed then. */
  expiresAt?: number;
}
type InterServerEvents = Record<string, never>;

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The payload of a client event's success event (empty for typing / stop_typing, which have none). */
export type SuccessOf<E extends ClientEventName> = (typeof clientEvents)[E]['success'] extends infer S extends
  ServerEventName
  ? ServerEventPayloads[S]
  : Record<string, never>;

/** Emits a server event whose name is only known at run time (the typed map cannot follow a union). */
export const emitLoose = (
  target: { emit: (...args: never[]) => unknown },
  event: ServerEventName,
  payload: unknown,
): void => {
  (target.emit as unknown as (e: string, p: unknown) => void)(event, payload);
};
