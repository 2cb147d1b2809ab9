import type { GatewayServer } from '../../clients/gateway-socket.js';
import type { GatewayDeps } from '../../use-cases/deps.js';
import { refreshPresence } from '../../use-cases/refresh-presence.js';
import { sweepPresence } from '../../use-cases/sweep-presence.js';

export interface PresenceHeartbeat {
  stop(): void;
}

/**
 * Presence per user across nodes and devices stays true by two timers, each a third of
 * PRESENCE_TTL_MS: this node's sockets are marked live again before their entries expire, and
 * one node at a time sweeps the users whose entries did (their node died) offline.
 */
export function startPresenceHeartbeat(
  io: GatewayServer,
  deps: GatewayDeps,
  opts: { nodeId: string; ttlMs: number },
): PresenceHeartbeat {
  const every = Math.max(200, Math.floor(opts.ttlMs / 3));
  const localSockets = () =>
    [...io.of('/').sockets.values()].map((socket) => ({ userId: socket.data.userId, socketId: socket.id }));
  const heartbeat = setInterval(() => void refreshPresence(deps, { sockets: localSockets() }), every);
  const sweeper = setInterval(() => void sweepPresence(deps, { nodeId: opts.nodeId, leaseMs: every }), every);
  return {
    stop: () => {
      clearInterval(heartbeat);
      clearInterval(sweeper);
    },
  };
}
