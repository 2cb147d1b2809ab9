import type { GatewayDeps } from './deps.js';
import { announcePresence } from './announce-presence.js';

/**
 * Takes offline the users whose every socket expired (their node died): one node sweeps at a
 * time, holding a lease of `leaseMs` in Redis.
 */
export async function sweepPresence(deps: GatewayDeps, command: { nodeId: string; leaseMs: number }): Promise<void> {
  try {
    if (!(await deps.presence.acquireSweepLease(command.nodeId, command.leaseMs))) return;
    const gone = await deps.presence.sweepExpired();
    deps.logger.trace({ gone }, 'presence sweep');
    for (const userId of gone) await announcePresence(deps, { userId, event: 'user_offline' });
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'presence sweep failed');
  }
}
