import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type RunningProcess } from '@chat/testkit';
import { PresenceStore } from '../src/data/presence-store.js';
import { sleep } from './support/cluster.js';

describe('presence store (Redis, per-socket expiry)', () => {
  let server: RunningProcess;
  let redis: Redis;
  let store: PresenceStore;
  const TTL = 300;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    store = new PresenceStore(redis, TTL);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('the first socket of a user comes online; a second one does not; a refresh does not', async () => {
    expect(await store.touch('u1', 's1')).toEqual({ cameOnline: true });
    expect(await store.touch('u1', 's2')).toEqual({ cameOnline: false });
    expect(await store.touch('u1', 's1')).toEqual({ cameOnline: false });
  });

  it('the user goes offline only when the last socket is removed', async () => {
    expect(await store.remove('u1', 's1')).toEqual({ wentOffline: false });
    expect(await store.remove('u1', 's2')).toEqual({ wentOffline: true });
    expect(await store.isOnline('u1')).toBe(false);
  });

  it('sockets that stop being refreshed (their node died) expire, and the sweeper reports the user once', async () => {
    await store.touch('u2', 'dead-1');
    await store.touch('u2', 'dead-2');
    await store.touch('u3', 'alive');
    expect(await store.sweepExpired()).toEqual([]);
    await sleep(TTL / 2);
    await store.touch('u3', 'alive');
    await sleep(TTL / 2 + 100);
    expect(await store.sweepExpired()).toEqual(['u2']);
    expect(await store.sweepExpired()).toEqual([]);
    expect(await store.isOnline('u3')).toBe(true);
  });

  it('one node at a time holds the sweep lease', async () => {
    expect(await store.acquireSweepLease('gw1', 200)).toBe(true);
    expect(await store.acquireSweepLease('gw2', 200)).toBe(false);
    await sleep(250);
    expect(await store.acquireSweepLease('gw2', 200)).toBe(true);
  });
});
