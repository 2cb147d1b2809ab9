import type { Redis } from '@chat/platform';

const key = (userId: string) => `socket:cut:${userId}`;

/**
 * Users whose socket was cut for garbage or for flooding past the rate limit, kept in Redis
 * for `penaltyMs` so every node refuses their handshakes meanwhile: an abuser that reconnects
 * at once would otherwise cost a handshake, presence and a rejoin on every cut.
 */
export class CutUsers {
  constructor(
    private readonly redis: Redis,
    private readonly penaltyMs: number,
  ) {}

  async cut(userId: string): Promise<void> {
    await this.redis.set(key(userId), '1', 'PX', this.penaltyMs);
  }

  async isCut(userId: string): Promise<boolean> {
    return (await this.redis.exists(key(userId))) === 1;
  }
}
