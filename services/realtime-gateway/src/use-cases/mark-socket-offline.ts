import type { GatewayDeps } from './deps.js';
import { announcePresence } from './announce-presence.js';

/** Removes one of the user's sockets from presence: `user_offline` when it was their last live socket. */
export async function markSocketOffline(
  deps: GatewayDeps,
  command: { userId: string; socketId: string },
): Promise<void> {
  const { wentOffline } = await deps.presence.remove(command.userId, command.socketId);
  if (wentOffline) await announcePresence(deps, { userId: command.userId, event: 'user_offline' });
}
