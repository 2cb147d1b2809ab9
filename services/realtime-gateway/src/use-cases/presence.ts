import { chatListForUser, rooms } from '@chat/contracts';
import type { Bus, Logger } from '@chat/platform';
import type { GatewayServer, GatewaySocket } from '../clients/sockets.js';
import type { PresenceStore } from '../data/presence-store.js';

/**
 * Presence per user across nodes and devices: `user_online` when a user's first socket
 * appears, `user_offline` when the last goes, whether it closed or its node died (the
 * entries expire unless this node's heartbeat refreshes them; one node sweeps at a time).
 */
export class Presence {
  private heartbeat?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly io: GatewayServer,
    private readonly bus: Bus,
    private readonly store: PresenceStore,
    private readonly opts: { nodeId: string; ttlMs: number; logger: Logger },
  ) {}

  start(): void {
    const every = Math.max(200, Math.floor(this.opts.ttlMs / 3));
    this.heartbeat = setInterval(() => void this.refreshLocalSockets(), every);
    this.sweeper = setInterval(() => void this.sweep(every), every);
  }

  stop(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
  }

  async connected(socket: GatewaySocket): Promise<void> {
    const { cameOnline } = await this.store.touch(socket.data.userId, socket.id);
    if (cameOnline) await this.announce(socket.data.userId, 'user_online');
  }

  async disconnected(socket: GatewaySocket): Promise<void> {
    const { wentOffline } = await this.store.remove(socket.data.userId, socket.id);
    if (wentOffline) await this.announce(socket.data.userId, 'user_offline');
  }

  private async refreshLocalSockets(): Promise<void> {
    const local = [...this.io.of('/').sockets.values()];
    // In batches: the commands of a batch share round trips without flooding Redis.
    for (let i = 0; i < local.length; i += 100) {
      try {
        await Promise.all(
          local.slice(i, i + 100).map(async (socket) => {
            // A socket the sweeper dropped during a stall comes back: say so.
            const { cameOnline } = await this.store.touch(socket.data.userId, socket.id);
            if (cameOnline) await this.announce(socket.data.userId, 'user_online');
          }),
        );
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'presence heartbeat failed');
        return;
      }
    }
  }

  private async sweep(leaseMs: number): Promise<void> {
    try {
      if (!(await this.store.acquireSweepLease(this.opts.nodeId, leaseMs))) return;
      const gone = await this.store.sweepExpired();
      this.opts.logger.trace({ gone }, 'presence sweep');
      for (const userId of gone) await this.announce(userId, 'user_offline');
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'presence sweep failed');
    }
  }

  /** Tells the rooms of every chat the user is in (their own sockets excluded). */
  private async announce(userId: string, event: 'user_online' | 'user_offline'): Promise<void> {
    try {
      const { chatIds } = await this.bus.request(chatListForUser, { userId }, { userId });
      // Another socket may have come or gone while we asked: announce only what is still true.
      if ((await this.store.isOnline(userId)) !== (event === 'user_online')) return;
      this.opts.logger.debug({ userId, event, chats: chatIds.length }, 'presence change');
      const timestamp = new Date().toISOString();
      for (const chatId of chatIds) {
        this.io.to(rooms.chat(chatId)).except(rooms.user(userId)).emit(event, { userId, chatId, timestamp });
      }
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message, userId, event }, 'presence announcement failed');
    }
  }
}
