import { hostname } from 'node:os';
import { z } from 'zod';
import { baseConfigSchema, msVar, portVar } from '@chat/platform';

const int = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

export const gatewayConfigSchema = baseConfigSchema.extend({
  PORT: portVar(3004),
  /** Prefix of every Engine.IO session id: the edge routes long-polling requests by it. */
  GATEWAY_NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (no dots: it prefixes session ids)')
    .default(
      hostname()
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 64) || 'gw',
    ),
  /** A socket's presence entry expires this long after its node's last heartbeat. */
  PRESENCE_TTL_MS: msVar(15_000),
  /** Largest Socket.IO packet accepted, in bytes; a bigger one closes that connection. */
  SOCKET_MAX_PAYLOAD_BYTES: int(64 * 1024, 1024),
  /** Per-user event budget shared by all of the user's sockets on all nodes. */
  SOCKET_RATE_LIMIT_POINTS: int(30),
  SOCKET_RATE_LIMIT_WINDOW_S: int(1),
  /** Chat rooms one socket may be in at once. */
  SOCKET_MAX_ROOMS: int(200),
  /** Sockets one user may hold at once, over every node (a handshake past it is refused; slots are reserved atomically). */
  SOCKET_MAX_PER_USER: int(20),
  /** An Engine.IO session that has not joined with a valid token this long after it opened is closed. */
  SOCKET_CONNECT_TIMEOUT_MS: msVar(5_000),
  /**
   * Handshakes not (yet) authenticated that one client address may open per window, over every
   * node; past it that address's new handshakes are refused (403) until the window ends. A
   * handshake that authenticates gives its point back, so users behind one NAT are not counted.
   */
  SOCKET_HANDSHAKES_PER_ADDRESS: int(100),
  SOCKET_HANDSHAKE_WINDOW_S: int(60),
  /** Engine.IO sessions one node holds at most (authenticated or not); new handshakes past it are refused. */
  SOCKET_MAX_SESSIONS_PER_NODE: int(20_000),
  /** A socket that sends this many invalid events within the window is disconnected. */
  SOCKET_GARBAGE_LIMIT: int(10),
  SOCKET_GARBAGE_WINDOW_MS: msVar(10_000),
  /** Events refused as RATE_LIMITED within SOCKET_GARBAGE_WINDOW_MS after which the socket is cut. */
  SOCKET_FLOOD_LIMIT: int(100),
  /** How long a user whose socket was cut for garbage or flooding is refused new sockets. */
  SOCKET_CUT_PENALTY_MS: msVar(10_000),
  /** At most one `user_typing` per user and chat in this interval; a typist silent this long is stopped. */
  TYPING_THROTTLE_MS: msVar(1_000),
  TYPING_TIMEOUT_MS: msVar(6_000),
  /** On SIGTERM: how long to wait for clients to leave before closing anyway (keep below SHUTDOWN_TIMEOUT_MS). */
  DRAIN_TIMEOUT_MS: msVar(5_000),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
