import type { GatewayDeps } from './deps.js';
import { markSocketOnline } from './mark-socket-online.js';

const BATCH = 100;

/**
 * The heartbeat of this node's sockets: each is marked live again before its presence entry
 * expires (PRESENCE_TTL_MS), so a node that dies leaves its users to go offline by themselves.
 */
export async function refreshPresence(
  deps: GatewayDeps,
  command: { sockets: { userId: string; socketId: string }[] },
): Promise<void> {
  // In batches: the commands of a batch share round trips without flooding Redis.
  for (let i = 0; i < command.sockets.length; i += BATCH) {
    try {
      await Promise.all(command.sockets.slice(i, i + BATCH).map((socket) => markSocketOnline(deps, socket)));
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'presence heartbeat failed');
      return;
    }
  }
}
