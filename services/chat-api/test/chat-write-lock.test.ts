import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { type Connection } from 'mongoose';
import { createLogger, leaseLock, processLock } from '@chat/platform';
import { dropDatabase, testMongoUrl } from '@chat/testkit';
import { chatWriteLock } from '../src/data/chat-write-lock.js';

const sharedLock = (conn: Connection) => leaseLock(conn, 'chat_write_locks');

const url = testMongoUrl();
let replicaA: Connection;
let replicaB: Connection;
beforeAll(async () => {
  replicaA = await mongoose.createConnection(url).asPromise();
  replicaB = await mongoose.createConnection(url).asPromise();
});
afterAll(async () => {
  await replicaA?.close();
  await replicaB?.close();
  await dropDatabase(url);
});

/** A read-modify-write that loses updates unless writers are serialized. */
async function slowIncrement(conn: Connection, id: string) {
  const col = conn.db!.collection<{ _id: string; n: number }>('counters');
  const doc = await col.findOne({ _id: id });
  await new Promise((r) => setTimeout(r, 2));
  await col.updateOne({ _id: id }, { $set: { n: (doc?.n ?? 0) + 1 } }, { upsert: true });
}

describe('chat write lock', () => {
  it('the shared lock serializes writers of one chat across two replicas (no lost update)', async () => {
    const [lockA, lockB] = [sharedLock(replicaA), sharedLock(replicaB)];
    const id = 'chat-shared';
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? lockA : lockB).run(id, () => slowIncrement(i % 2 ? replicaA : replicaB, id)),
      ),
    );
    const doc = await replicaA.db!.collection<{ _id: string; n: number }>('counters').findOne({ _id: id });
    expect(doc?.n).toBe(10);
    // Leases are released.
    expect(await replicaA.db!.collection('chat_write_locks').countDocuments({})).toBe(0);
  });

  it('the process lock serializes writers in one process and releases on errors', async () => {
    const lock = processLock();
    const id = 'chat-process';
    const failing = lock.run(id, async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    await Promise.all(Array.from({ length: 10 }, () => lock.run(id, () => slowIncrement(replicaA, id))));
    const doc = await replicaA.db!.collection<{ _id: string; n: number }>('counters').findOne({ _id: id });
    expect(doc?.n).toBe(10);
  });

  it('a lease left by a crashed replica expires', async () => {
    const leases = replicaA.db!.collection<{ _id: string; owner: string; expiresAt: Date }>('chat_write_locks');
    await leases.insertOne({ _id: 'chat-stale', owner: 'dead', expiresAt: new Date(Date.now() - 1) });
    const result = await sharedLock(replicaB).run('chat-stale', async () => 'written');
    expect(result).toBe('written');
  });

  it('auto mode picks the shared lock on FerretDB and the process lock on MongoDB', async () => {
    const info = await replicaA.db!.admin().command({ buildInfo: 1 });
    const lock = await chatWriteLock(replicaA, 'auto', createLogger('test', 'silent'));
    expect(lock.kind).toBe('ferretdbVersion' in info ? 'lease' : 'process');
  });
});
