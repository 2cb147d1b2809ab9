import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { type Connection } from 'mongoose';
import { createRedis, processLock, type Redis } from '@chat/platform';
import { startTestInfra, type TestInfra } from '@chat/testkit';
import { ChatWriteLock } from '../src/data/chat-write-lock.js';

/** Two chat-api replicas: each its own Mongo connection, Redis client and lock. */
interface Replica {
  conn: Connection;
  redis: Redis;
}

let infra: TestInfra;
let replicaA: Replica;
let replicaB: Replica;
const replica = async (): Promise<Replica> => ({
  conn: await mongoose.createConnection(infra.mongoUrl).asPromise(),
  redis: createRedis(infra.redisUrl, 'lock-test'),
});
beforeAll(async () => {
  infra = await startTestInfra();
  replicaA = await replica();
  replicaB = await replica();
});
afterAll(async () => {
  for (const r of [replicaA, replicaB]) {
    await r?.conn.close();
    r?.redis.disconnect();
  }
  await infra?.stop();
});

const counters = (conn: Connection) => conn.db!.collection<{ _id: string; n: number }>('counters');

/** A read-modify-write that loses updates unless writers are serialized. */
async function slowIncrement(conn: Connection, id: string) {
  const doc = await counters(conn).findOne({ _id: id });
  await new Promise((r) => setTimeout(r, 2));
  await counters(conn).updateOne({ _id: id }, { $set: { n: (doc?.n ?? 0) + 1 } });
}

/** Ten writers of one chat, alternating between the two replicas. */
async function tenWriters(id: string, run: (r: Replica, write: () => Promise<void>) => Promise<void>) {
  await counters(replicaA.conn).insertOne({ _id: id, n: 0 });
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => {
      const r = i % 2 ? replicaA : replicaB;
      return run(r, () => slowIncrement(r.conn, id));
    }),
  );
  return (await counters(replicaA.conn).findOne({ _id: id }))?.n;
}

describe('chat write lock', () => {
  it('without a lock the same writers lose updates (what the lock is for)', async () => {
    expect(await tenWriters('chat-unlocked', (_r, write) => write())).toBeLessThan(10);
  });

  it('the redis lock serializes writers of one chat across two replicas (no lost update) and releases', async () => {
    const locks = new Map([replicaA, replicaB].map((r) => [r, new ChatWriteLock(r.redis)]));
    expect(await tenWriters('chat-shared', (r, write) => locks.get(r)!.run('chat-shared', write))).toBe(10);
    expect(await replicaA.redis.exists('chat-write:chat-shared')).toBe(0);
  });

  it('a hold left by a crashed replica expires, and each hold gets a larger fencing token', async () => {
    await replicaA.redis.set('chat-write:chat-stale', 'dead:1', 'PX', 300);
    const lock = new ChatWriteLock(replicaB.redis);
    const first = await lock.run('chat-stale', async (fence) => fence);
    const second = await lock.run('chat-stale', async (fence) => fence);
    expect(second).toBeGreaterThan(first);
  });

  it('the process lock serializes writers in one process and releases on errors', async () => {
    const lock = processLock();
    const id = 'chat-process';
    await counters(replicaA.conn).insertOne({ _id: id, n: 0 });
    await expect(lock.run(id, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await Promise.all(Array.from({ length: 10 }, () => lock.run(id, () => slowIncrement(replicaA.conn, id))));
    expect((await counters(replicaA.conn).findOne({ _id: id }))?.n).toBe(10);
  });
});
