import type { Server as HttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { clientEvents, rooms, type ClientEventName } from '@chat/contracts';
import {
  AppError,
  csv,
  handshakeToken,
  tokenRules,
  verifyTokenClaims,
  type Bus,
  type ChatAccessClient,
  type Logger,
  type Metrics,
  type Redis,
} from '@chat/platform';
import type { GatewayConfig } from '../../config.js';
import type { Presence } from '../../use-cases/presence.js';
import { clientHandlers } from './client-handlers.js';
import { CutUsers } from '../../data/cut-users.js';
import { createEventRateLimiter, GarbageMeter } from './guards.js';
import { createHandshakeGate } from './handshake-gate.js';
import { onClientEvent, type EventGuards } from './handle-event.js';
import type { TypingTracker } from '../../use-cases/typing.js';
import type { LiveEvents } from '../bus/live-events.js';
import type { GatewayServer, GatewaySocket } from '../../clients/sockets.js';

export interface SocketServerDeps {
  config: GatewayConfig;
  logger: Logger;
  bus: Bus;
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

const eventNames = Object.keys(clientEvents) as ClientEventName[];

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
    adapter: createAdapter(deps.adapterRedis.pub, deps.adapterRedis.sub, { key: 'socket.io' }),
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

export interface ConnectionDeps {
  config: GatewayConfig;
  metrics: Metrics;
  logger: Logger;
  bus: Bus;
  redis: Redis;
  presence: Presence;
  typing: TypingTracker;
  chats: ChatAccessClient;
  live: LiveEvents;
  cutUsers: CutUsers;
  isDraining: () => boolean;
}

/** Wires one connected socket: its user room, presence, the eleven client events, garbage and disconnect handling. */
export function handleConnections(io: GatewayServer, deps: ConnectionDeps): void {
  const { config, logger } = deps;
  const limiter = createEventRateLimiter(deps.redis, config);
  const events = deps.metrics.counter('socket_events_total', 'Client events handled, by event and outcome', [
    'event',
    'outcome',
  ]);
  const connections = deps.metrics.counter('socket_connections_total', 'Sockets accepted, and closed by reason', [
    'phase',
  ]);
  const count = (event: string, outcome: string) => events.inc({ event, outcome });
  // Connections per pod: what the gateway's autoscaler targets besides CPU (k8s/, the chart).
  deps.metrics.gauge('socket_connections_open', 'Sockets open on this node', () => io.engine.clientsCount);

  io.on('connection', (socket: GatewaySocket) => {
    const userId = socket.data.userId;
    connections.inc({ phase: 'connected' });
    void socket.join(rooms.user(userId));
    const arrived = deps.presence
      .connected(socket)
      .catch((err: unknown) => logger.warn({ err, userId }, 'presence connect failed'));

    const guards: EventGuards = {
      limiter,
      logger,
      count,
      garbage: new GarbageMeter(config.SOCKET_GARBAGE_LIMIT, config.SOCKET_GARBAGE_WINDOW_MS),
      // A client told RATE_LIMITED should back off (retryAfterSeconds); one that does not is cut.
      flood: new GarbageMeter(config.SOCKET_FLOOD_LIMIT, config.SOCKET_GARBAGE_WINDOW_MS),
      onGarbageLimit: () => {
        logger.warn(
          { userId, socketId: socket.id },
          'disconnecting a socket that sends too many invalid or refused events',
        );
        connections.inc({ phase: 'cut_for_garbage' });
        socket.disconnect(true);
        deps.cutUsers.cut(userId).catch((err: unknown) => logger.warn({ err, userId }, 'abuse penalty not recorded'));
      },
    };
    const handlers = clientHandlers(socket, {
      bus: deps.bus,
      chats: deps.chats,
      live: deps.live,
      typing: deps.typing,
      maxRooms: config.SOCKET_MAX_ROOMS,
      requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS,
    });
    for (const name of eventNames) onClientEvent(socket, name, guards, handlers[name] as never);

    // Events the contract does not know are answered once and count as garbage.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && (eventNames as string[]).includes(event)) return;
      const name = typeof event === 'string' ? event.slice(0, 64) : 'unknown';
      const error = { message: `Unknown event ${name}`, code: 'VALIDATION' as const, event: name };
      socket.emit('error', error);
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack({ ok: false, ...error });
      count('unknown', 'VALIDATION');
      if (guards.garbage.strike()) guards.onGarbageLimit();
    });

    // A socket lives no longer than its token: told why, so the client reconnects with a fresh one.
    const expiresIn = socket.data.expiresAt === undefined ? undefined : socket.data.expiresAt - Date.now();
    const expiry =
      expiresIn === undefined || expiresIn > 2 ** 31 - 1 // beyond a timer's reach (24 days): not worth one
        ? undefined
        : setTimeout(
            () => {
              socket.emit('error', { message: 'Token expired: reconnect with a fresh token', code: 'UNAUTHORIZED' });
              connections.inc({ phase: 'token_expired' });
              socket.disconnect(true);
            },
            Math.max(0, expiresIn),
          );

    socket.on('disconnecting', () => deps.typing.socketGone(socket));
    socket.on('disconnect', () => {
      clearTimeout(expiry);
      connections.inc({ phase: 'disconnected' });
      // A draining node leaves its sockets' presence to expire: the clients are reconnecting
      // elsewhere, and their peers should not see them flicker offline.
      if (deps.isDraining()) return;
      void arrived
        .then(() => deps.presence.disconnected(socket))
        .catch((err: unknown) => logger.warn({ err, userId }, 'presence disconnect failed'));
    });
  });
}
