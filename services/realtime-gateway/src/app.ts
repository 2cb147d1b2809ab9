import { DURABLES } from '@chat/contracts';
import {
  chatAccessClient,
  closeServer,
  httpSettings,
  createHttpApp,
  createMetrics,
  listen,
  openLinks,
  watchConsumerLag,
  type Logger,
  type Redis,
} from '@chat/platform';
import type { GatewayConfig } from './config.js';
import { startRoomExits } from './entry/bus/room-exits.js';
import { startLiveEvents } from './entry/bus/live-events.js';
import { startPresenceHeartbeat } from './entry/jobs/presence-heartbeat.js';
import { createSocketServer } from './entry/socket/create-socket-server.js';
import { handleConnections } from './entry/socket/handle-connections.js';
import { PresenceStore } from './data/presence-store.js';
import { TypingStore } from './data/typing-store.js';
import { CutUsers } from './data/cut-users.js';
import { adapterClients } from './clients/adapter-clients.js';
import type { GatewayDeps } from './use-cases/deps.js';

function untilReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Redis not ready in time (REDIS_URL)')), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface RunningGateway {
  port: number;
  nodeId: string;
  /** Sockets connected to this node right now. */
  socketCount(): number;
  /**
   * Graceful drain: refuse new sessions, close every socket's transport (Socket.IO clients
   * then reconnect, through the edge, to another node), wait for them to go or for the
   * deadline, then close everything.
   */
  close(): Promise<void>;
}

/** A gateway node: Socket.IO on the service's HTTP server, shared rooms via Redis, broadcasts from JetStream. */
export async function startRealtimeGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const links = await openLinks(config, 'realtime-gateway', logger, { nats: true, redis: true });
  // The adapter's subscriber must be connected before it subscribes: a subscription queued
  // during the handshake puts the client in subscriber mode before its ready check runs.
  const adapterRedis = adapterClients(links.redis, logger);
  await Promise.all([untilReady(links.redis), untilReady(adapterRedis.pub), untilReady(adapterRedis.sub)]);

  let draining = false;
  const isDraining = () => draining;
  const metrics = createMetrics('realtime-gateway');
  const app = createHttpApp({
    logger,
    metrics,
    readiness: [...links.readiness, { name: 'accepting', check: () => !draining }],
    ...httpSettings(config),
    routes: () => undefined,
  });
  const { server, port } = await listen(app, config.PORT);

  const presenceStore = new PresenceStore(links.redis, config.PRESENCE_TTL_MS);
  const cutUsers = new CutUsers(links.redis, config.SOCKET_CUT_PENALTY_MS);
  const io = createSocketServer(server, {
    config,
    logger,
    redis: links.redis,
    adapterRedis,
    isDraining,
    slots: {
      reserve: (userId, socketId) =>
        presenceStore.reserveSlot(userId, socketId, config.SOCKET_MAX_PER_USER, config.PRESENCE_TTL_MS),
      release: (userId, socketId) => presenceStore.releaseSlot(userId, socketId),
    },
    cutUsers,
  });
  const live = startLiveEvents(io, links.bus, logger);
  const typing = new TypingStore(links.redis, {
    throttleMs: config.TYPING_THROTTLE_MS,
    timeoutMs: config.TYPING_TIMEOUT_MS,
  });
  const deps: GatewayDeps = {
    bus: links.bus,
    chats: chatAccessClient(links.bus),
    io,
    live,
    presence: presenceStore,
    typing,
    logger,
    maxRooms: config.SOCKET_MAX_ROOMS,
    requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS,
  };
  handleConnections(io, deps, { config, metrics, redis: links.redis, cutUsers, isDraining });
  const presence = startPresenceHeartbeat(io, deps, { nodeId: config.GATEWAY_NODE_ID, ttlMs: config.PRESENCE_TTL_MS });
  await startRoomExits(io, links.bus, logger);
  const lag = watchConsumerLag(links.bus, metrics, [DURABLES.roomExits], { logger });

  const sockets = () => io.of('/').sockets;
  return {
    port,
    nodeId: config.GATEWAY_NODE_ID,
    socketCount: () => sockets().size,
    close: async () => {
      draining = true;
      const httpClosed = closeServer(server);
      const count = sockets().size;
      logger.info({ sockets: count }, 'draining: asking clients to reconnect elsewhere');
      for (const socket of sockets().values()) {
        socket.emit('server_shutdown', { message: 'This node is shutting down; reconnect', reconnect: true });
        // Closing the transport (not socket.disconnect()) makes Socket.IO clients reconnect on their own.
        socket.conn.close();
      }
      const deadline = Date.now() + config.DRAIN_TIMEOUT_MS;
      while (sockets().size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      presence.stop();
      lag.stop();
      typing.clear();
      live.stop();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.race([httpClosed, new Promise((r) => setTimeout(r, 1_000))]);
      adapterRedis.pub.disconnect();
      adapterRedis.sub.disconnect();
      await links.close();
    },
  };
}
