import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId, type Collection } from 'mongodb';
import { createLogger, redisLock } from '@chat/platform';
import { BLOCK_SIZE, blockFields } from '../src/domain/message-blocks.js';
import { MESSAGE_BLOCKS_MIGRATION, migrateMessageBlocks } from '../src/data/migrate-message-blocks.js';
import { startWorld, type TestUser, type World } from './harness.js';
import { storedMessages } from './stored-messages.js';

let w: World;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  w = await startWorld();
  [alice, bob] = [w.newUser(), w.newUser()];
});
afterAll(async () => {
  await w?.stop();
});

const collection = (name: string): Collection<any> => w.db.getClient().db(w.db.name).collection(name);

/** Messages as versions before blocks stored them: no seqBlock, no revBlock. */
const legacyMessages = (chatId: string, count: number) =>
  storedMessages(chatId, count, {
    from: (i) => (i % 2 ? bob.id : alice.id),
    to: (i) => (i % 2 ? alice.id : bob.id),
    blocks: false,
  });

describe('messages stored before blocks existed', () => {
  it('are given their blocks by message-api at start, the old chatId indexes dropped, and history reads them', async () => {
    const chatId = await w.chat(alice, bob, 'accepted');
    const legacy = legacyMessages(chatId, 300);
    await collection('messages').insertMany(legacy);
    await collection('messages').createIndex({ chatId: 1, createdAt: -1, _id: -1 });
    await collection('migrations').deleteOne({ _id: MESSAGE_BLOCKS_MIGRATION });

    await w.addReplica(); // a start with the step not recorded as done runs it

    const migrated = await w.stored({ seqBlock: `${chatId}:1` });
    expect(migrated.map((d) => d.seq)).toEqual(Array.from({ length: BLOCK_SIZE }, (_, i) => BLOCK_SIZE + i));
    for (const d of await w.stored({ seqBlock: `${chatId}:0` }))
      expect(d).toMatchObject(blockFields(chatId, d.seq, d.rev));
    const names = (await collection('messages').indexes()).map((i) => i.name);
    expect(names).not.toContain('chatId_1_createdAt_-1__id_-1');
    expect(names).toEqual(expect.arrayContaining(['seqBlock_1_seq_1', 'revBlock_1_rev_1']));
    expect(await collection('migrations').findOne({ _id: MESSAGE_BLOCKS_MIGRATION })).toMatchObject({ updated: 300 });

    const page = await bob.http.get(`/api/chats/${chatId}/messages?limit=50`);
    expect(page.body.data.map((m: any) => m.content)).toEqual(
      Array.from({ length: 50 }, (_, i) => `stored ${300 - i}`),
    );
    const changes = await bob.http.get(`/api/chats/${chatId}/changes?since=250&limit=100`);
    expect(changes.body.data.changes).toHaveLength(50);
  });

  it('is resumable: a run cut short is finished by the next, which writes only what is missing', async () => {
    const chatId = new ObjectId().toHexString();
    const messages = collection('legacy_messages');
    const docs = legacyMessages(chatId, 40);
    // The first 15 were migrated before the run was cut short.
    await messages.insertMany(docs.map((d, i) => (i < 15 ? { ...d, ...blockFields(chatId, d.seq, d.rev) } : d)));
    const migrations = collection('legacy_migrations');
    const lock = redisLock(w.redis, 'message-change');
    const logger = createLogger('migration-test', 'silent');
    expect(await migrateMessageBlocks(messages, migrations, lock, logger)).toBe(25);
    for (const d of await messages.find({}).toArray()) expect(d).toMatchObject(blockFields(chatId, d.seq, d.rev));
    expect(await migrateMessageBlocks(messages, migrations, lock, logger)).toBe(0); // recorded as done
    await messages.updateOne({ _id: docs[3]!._id }, { $unset: { seqBlock: '' } });
    expect(await migrateMessageBlocks(messages, migrations, lock, logger, { force: true })).toBe(1);
  });

  it('lets replicas that start together both finish (each records the step; neither fails on the other)', async () => {
    const chatId = new ObjectId().toHexString();
    const messages = collection('legacy_messages_2');
    await messages.insertMany(legacyMessages(chatId, 30));
    const lock = redisLock(w.redis, 'message-change');
    const logger = createLogger('migration-test', 'silent');
    for (let round = 0; round < 5; round++) {
      const migrations = collection(`legacy_migrations_race_${round}`);
      const runs = await Promise.all(
        [1, 2, 3].map(() => migrateMessageBlocks(messages, migrations, lock, logger, { force: true })),
      );
      expect(runs.every((n) => n >= 0)).toBe(true);
      expect(await migrations.countDocuments({ _id: MESSAGE_BLOCKS_MIGRATION })).toBe(1);
    }
    for (const d of await messages.find({}).toArray()) expect(d).toMatchObject(blockFields(chatId, d.seq, d.rev));
  });
});
