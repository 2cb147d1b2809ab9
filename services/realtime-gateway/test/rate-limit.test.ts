import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type RunningProcess } from '@chat/testkit';
import { blockOf, createEventRateLimiter } from '../src/entry/socket/event-rate-limiter.js';
import type { GatewayConfig } from '../src/config.js';

const POINTS = 40;
const settings = { SOCKET_RATE_LIMIT_POINTS: POINTS, SOCKET_RATE_LIMIT_WINDOW_S: 30 } as GatewayConfig;

/** Spends points until refused; answers how many were granted. */
async function spendAll(nodes: ReturnType<typeof createEventRateLimiter>[], userId: string): Promise<number> {
  let granted = 0;
  for (let i = 0; i < POINTS * 2; i++) {
    const refused = await (nodes[i % nodes.length] as (typeof nodes)[number]).consume(userId).then(
      () => false,
      (err: { code?: string }) => err.code === 'RATE_LIMITED',
    );
    if (refused) return granted;
    granted++;
  }
  return granted;
}

describe('socket event budget taken from Redis in blocks', () => {
  let server: RunningProcess;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('a block is a tenth of the budget, 1 to 16 points', () => {
    expect([blockOf(5), blockOf(30), blockOf(40), blockOf(10_000_000)]).toEqual([1, 3, 4, 16]);
  });

  it('one event takes a whole block from Redis; the next ones of the block cost no Redis call', async () => {
    const node = createEventRateLimiter(redis, settings);
    await node.consume('steady');
    expect(Number(await redis.get('rl:socket-events:steady'))).toBe(blockOf(POINTS));
    for (let i = 1; i < blockOf(POINTS); i++) await node.consume('steady');
    expect(Number(await redis.get('rl:socket-events:steady'))).toBe(blockOf(POINTS));
    await node.consume('steady');
    expect(Number(await redis.get('rl:socket-events:steady'))).toBe(2 * blockOf(POINTS));
  });

  it('two nodes spending one user budget never grant more than it, and lose at most a block each', async () => {
    const nodes = [createEventRateLimiter(redis, settings), createEventRateLimiter(redis, settings)];
    const granted = await spendAll(nodes, 'two-nodes');
    expect(granted).toBeLessThanOrEqual(POINTS);
    expect(granted).toBeGreaterThanOrEqual(POINTS - 2 * (blockOf(POINTS) - 1));
    // Refused on both nodes for the rest of the window.
    for (const node of nodes) await expect(node.consume('two-nodes')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('one node alone grants the whole budget, exactly', async () => {
    expect(await spendAll([createEventRateLimiter(redis, settings)], 'one-node')).toBe(POINTS);
  });
});
