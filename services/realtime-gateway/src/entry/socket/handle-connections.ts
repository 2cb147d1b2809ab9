import { clientEvents, rooms } from '@chat/contracts';
import type { Metrics, Redis } from '@chat/platform';
import type { GatewayConfig } from '../../config.js';
import type { CutUsers } from '../../data/cut-users.js';
import type { GatewayServer, GatewaySocket } from '../../clients/gateway-socket.js';
import type { GatewayDeps } from '../../use-cases/deps.js';
import { endTyping } from '../../use-cases/end-typing.js';
import { markSocketOffline } from '../../use-cases/mark-socket-offline.js';
import { markSocketOnline } from '../../use-cases/mark-socket-online.js';
import { createEventRateLimiter } from './event-rate-limiter.js';
import { GarbageMeter } from './garbage-meter.js';
import type { EventGuards } from './on-client-event.js';
import { registerClientCommands } from './register-client-commands.js';
import { socketTimings } from './socket-timings.js';

export interface ConnectionDeps {
  config: GatewayConfig;
  metrics: Metrics;
  redis: Redis;
  cutUsers: CutUsers;
  isDraining: () => boolean;
}

/** Wires one connected socket: its user room, presence, every client command, garbage and disconnect handling. */
export function handleConnections(io: GatewayServer, gateway: GatewayDeps, deps: ConnectionDeps): void {
  const { config } = deps;
  const { logger } = gateway;
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
  const timed = socketTimings(deps.metrics);

  io.on('connection', (socket: GatewaySocket) => {
    const userId = socket.data.userId;
    connections.inc({ phase: 'connected' });
    timed(socket);
    void socket.join(rooms.user(userId));
    const arrived = markSocketOnline(gateway, { userId, socketId: socket.id }).catch((err: unknown) =>
      logger.warn({ err, userId }, 'presence connect failed'),
    );

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
    registerClientCommands(socket, gateway, guards);

    // Events the contract does not know are answered once and count as garbage.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && Object.hasOwn(clientEvents, event)) return;
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

    socket.on('disconnecting', () => void endTyping(gateway, { userId, socket }));
    socket.on('disconnect', () => {
      clearTimeout(expiry);
      connections.inc({ phase: 'disconnected' });
      // A draining node leaves its sockets' presence to expire: the clients are reconnecting
      // elsewhere, and their peers should not see them flicker offline.
      if (deps.isDraining()) return;
      void arrived
        .then(() => markSocketOffline(gateway, { userId, socketId: socket.id }))
        .catch((err: unknown) => logger.warn({ err, userId }, 'presence disconnect failed'));
    });
  });
}
