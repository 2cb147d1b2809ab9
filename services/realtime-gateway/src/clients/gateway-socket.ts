import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';

/** What the handshake leaves on every socket. */
export interface SocketData {
  userId: string;
  /** When the handshake's token expires (epoch ms): the socket is closed then. */
  expiresAt?: number;
}
type InterServerEvents = Record<string, never>;

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
