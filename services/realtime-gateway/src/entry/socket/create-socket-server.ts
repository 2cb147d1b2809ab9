import type { Server as HttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { SOCKET_IO_ADAPTER_KEY } from '@chat/contracts';
import { AppError, csv, handshakeToken, tokenRules, verifyTokenClaims, type Logger, type Redis } from '@chat/platform';
import type { GatewayConfig } from '../../config.js';
import type { CutUsers } from '../../data/cut-users.js';
import { createHandshakeGate } from './handshake-gate.js';
import type { GatewayServer, GatewaySocket } from '../../clients/gateway-socket.js';

export interface SocketServerDeps {
  config: GatewayConfig;
  logger: Logger;
  redis: Redis;
  /** The adapter's publisher and subscriber (adapter-clients.ts; a subscribed client can do nothing else). */
  adapterRedis: { pub: Redis; sub: Redis };
  isDraining: () => boolean;
  /** The user's socket slots over every node (SOCKET_MAX_PER_USER), reserved atomically during the handshake. */
  slots: SocketSlots;
  /** Users cut for abuse a moment ago: their handshakes are refused for SOCKET_CUT_PENALTY_MS. */
  cutUsers: CutUsers;
}

export interface SocketSlots {
  /** Reserves a slot for `socketId`: false when the user's live sockets and reservations fill them. */
  reserve(userId: string, socketId: string): Promise<boolean>;
  /** Gives back the slot of a handshake that will not connect. */
  release(userId: string, socketId: string): Promise<void>;
}

/** Builds the Socket.IO server: node-prefixed session ids, Redis adapter, handshake auth, payload bounds. */
export function createSocketServer(httpServer: HttpServer, deps: SocketServerDeps): GatewayServer {
  const { config } = deps;
  const gate = createHandshakeGate(deps.redis, config, {
    isDraining: deps.isDraining,
    sessions: () => io.engine.clientsCount,
    logger: deps.logger,
  });
  const io: GatewayServer = new Server(httpServer, {
    maxHttpBufferSize: config.SOCKET_MAX_PAYLOAD_BYTES,
    cors: { origin: config.CORS_ORIGINS.trim() === '*' ? '*' : csv(config.CORS_ORIGINS) },
    // Refuses new sessions while draining, past the node's total, or past the address's limit;
    // the client retries, and the edge may send it to another node.
    allowRequest: (req, callback) => gate.allowRequest(req, callback),
    // The gate drops sessions without a valid token after SOCKET_CONNECT_TIMEOUT_MS; this closes
    // the others that never joined (a valid token refused for its user's limits) a moment later.
    connectTimeout: 2 * config.SOCKET_CONNECT_TIMEOUT_MS,
    adapter: createAdapter(deps.adapterRedis.pub, deps.adapterRedis.sub, { key: SOCKET_IO_ADAPTER_KEY }),
  });
  // The edge routes long-polling requests to the node named by this prefix.
  io.engine.generateId = () => `${config.GATEWAY_NODE_ID}.${randomBytes(15).toString('base64url')}`;
  gate.watch(io.engine);

  const rules = tokenRules(config);
  io.use((socket, next) => {
    const token = handshakeToken(socket.handshake);
    if (!token) return next(authError('Authentication required: pass auth.token or an Authorization: Bearer header'));
    try {
      const { userId, expiresAt } = verifyTokenClaims(token, rules);
      socket.data.userId = userId;
      socket.data.expiresAt = expiresAt;
    } catch (err) {
      return next(authError(err instanceof AppError ? err.message : 'Invalid token'));
    }
    gate.authenticated(socket.conn);
    admit(socket, deps).then(next, () => next(refusal('Presence is unavailable, try again', 'UNAVAILABLE')));
  });
  return io;
}

/**
 * Admits an authenticated handshake unless its user was cut for abuse or holds every socket slot;
 * the slot is reserved atomically (handshakes racing on several nodes cannot exceed the cap).
 */
async function admit(socket: GatewaySocket, deps: SocketServerDeps): Promise<Error | undefined> {
  const { config } = deps;
  const userId = socket.data.userId;
  if (await deps.cutUsers.isCut(userId))
    return refusal(
      `Disconnected for abuse: try again in ${Math.ceil(config.SOCKET_CUT_PENALTY_MS / 1000)} s`,
      'RATE_LIMITED',
    );
  if (!(await deps.slots.reserve(userId, socket.id)))
    return refusal(`Too many connections: at most ${config.SOCKET_MAX_PER_USER} per user`, 'RATE_LIMITED');
  // Socket.IO drops a handshake whose client left meanwhile without telling us: give its slot back.
  if (socket.conn.readyState !== 'open') {
    await deps.slots.release(userId, socket.id);
    return refusal('The connection closed during the handshake', 'UNAVAILABLE');
  }
  return undefined;
}

/** A handshake refusal: the client's `connect_error` carries the message and `data.code`. */
function refusal(message: string, code: 'UNAUTHORIZED' | 'RATE_LIMITED' | 'UNAVAILABLE'): Error {
  const err = new Error(message) as Error & { data?: unknown };
  err.data = { code };
  return err;
}

const authError = (message: string) => refusal(message, 'UNAUTHORIZED');
