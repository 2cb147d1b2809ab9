import type { GatewayDeps } from './deps.js';
import { announcePresence } from './announce-presence.js';

/**
 * Records (or refreshes) one of the user's sockets as live, over every node: `user_online` when
 * it is the user's only live socket and was not live before (a socket dropped by the sweeper
 * during a stall comes back the same way).
 */
export async function markSocketOnline(
  deps: GatewayDeps,
  command: { userId: string; socketId: string },
): Promise<void> {
  const { cameOnline } = await deps.presence.touch(command.userId, command.socketId);
  if (cameOnline) await announcePresence(deps, { userId: command.userId, event: 'user_online' });
}
