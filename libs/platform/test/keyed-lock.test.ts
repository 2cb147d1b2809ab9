import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, groupCommit, redisLock, type Redis } from '@chat/platform';
import { startRedisServer, type RunningProcess } from '@chat/testkit';

describe('redisLock', () => {
  let server: RunningProcess;
  let redis: Redis;
  let other: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    [redis, other] = [createRedis(server.url, 'lock-a'), createRedis(server.url, 'lock-b')];
  });
  afterAll(async () => {
    redis.disconnect();
    other.disconnect();
    await server.stop();
  });

  it('lets one holder at a time run across two replicas, each with a larger fencing token', async () => {
    const [a, b] = [redisLock(redis, 'test-lock'), redisLock(other, 'test-lock')];
    let inside = 0;
    let most = 0;
    const fences: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).run('chat-1', async (fence) => {
          inside++;
          most = Math.max(most, inside);
          fences.push(fence);
          await new Promise((r) => setTimeout(r, 2));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(fences).toEqual([...fences].sort((x, y) => x - y));
    expect(new Set(fences).size).toBe(20);
  });

  it('takes over a hold left by a crashed replica once its lease has expired', async () => {
    await redis.set('test-lock:chat-2', 'dead:1', 'PX', 300);
    const started = Date.now();
    await redisLock(other, 'test-lock').run('chat-2', async () => undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('answers UNAVAILABLE when the key stays held past the wait, and never releases a hold it does not own', async () => {
    await redis.set('test-lock:chat-3', 'someone-else:1', 'PX', 60_000);
    const lock = redisLock(other, 'test-lock', { waitMs: 100 });
    await expect(lock.run('chat-3', async () => 'ran')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(await redis.get('test-lock:chat-3')).toBe('someone-else:1');
  });
});

describe('redisLock while Redis is down', () => {
  it('answers UNAVAILABLE (a 503 to retry), not an internal error', async () => {
    const down = await startRedisServer();
    const redis = createRedis(down.url, 'lock-down');
    redis.on('error', () => undefined);
    await down.stop();
    try {
      await expect(redisLock(redis, 'test-lock').run('chat-9', async () => 'ran')).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
    } finally {
      redis.disconnect();
    }
  });
});

describe('groupCommit', () => {
  it('writes a lone item at once and items that arrive meanwhile together, in order', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commits = groupCommit<number, string>({
      maxBatch: 3,
      maxQueued: 100,
      concurrency: 1,
      flush: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items.map((i) => `done ${i}`);
      },
    });
    const first = commits.submit(0);
    const rest = [1, 2, 3, 4, 5].map((i) => commits.submit(i));
    expect(batches).toEqual([[0]]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([0, 1, 2, 3, 4, 5].map((i) => `done ${i}`));
    expect(batches).toEqual([[0], [1, 2, 3], [4, 5]]);
  });

  it('refuses with UNAVAILABLE instead of queueing without end, and fails a whole batch whose write throws', async () => {
    let fail = true;
    const commits = groupCommit<number, number>({
      maxBatch: 10,
      maxQueued: 2,
      concurrency: 1,
      flush: async (items) => {
        await new Promise((r) => setTimeout(r, 10));
        if (fail) throw new Error('store down');
        return items;
      },
    });
    const writing = commits.submit(1);
    const queued = [commits.submit(2), commits.submit(3)];
    await expect(commits.submit(4)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(writing).rejects.toThrow('store down');
    fail = false;
    expect(await Promise.all(queued)).toEqual([2, 3]);
  });
});
