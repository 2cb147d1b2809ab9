import type { Bus, ChatAccessClient, Logger } from '@chat/platform';
import type { GatewayServer } from '../clients/gateway-socket.js';
import type { PresenceStore } from '../data/presence-store.js';
import type { TypingStore } from '../data/typing-store.js';

/** The caller's socket as the use cases see it: its id and the rooms it is in. */
export interface CallerSocket {
  readonly id: string;
  readonly rooms: ReadonlySet<string>;
  join(room: string): Promise<void> | void;
  leave(room: string): Promise<void> | void;
}

/** This node's live subscriptions to chat rooms (entry/bus/live-events.ts). */
export interface LiveRooms {
  /** Resolves once this node hears the room's events: nothing published after that is missed. */
  ready(room: string): Promise<void>;
}

/** What every gateway use case may touch, built once in app.ts. */
export interface GatewayDeps {
  bus: Bus;
  /** chat-api's answer to "may this user read / send in this chat" (cached there). */
  chats: ChatAccessClient;
  /** Every node's sockets: a room emitted to here reaches them all through the Redis adapter. */
  io: GatewayServer;
  live: LiveRooms;
  presence: PresenceStore;
  typing: TypingStore;
  logger: Logger;
  /** Chat rooms one socket may be in at once (SOCKET_MAX_ROOMS). */
  maxRooms: number;
  /** The usual deadline of a NATS request (NATS_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
}
