import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { messageDelete, messageEdit, messageReact, messageRead, messageSend, messageUnreact } from '@chat/contracts';
import { newUserId } from '@chat/testkit';
import { BLOCK_SIZE } from '../src/domain/message-blocks.js';
import { startWorld, type TestUser, type World } from './harness.js';
import { storedMessages } from './stored-messages.js';

/**
 * A chat longer than two blocks of seqs: every read walks block boundaries, and the change feed
 * crosses runs of revs that later changes superseded (empty rev blocks).
 */
const COUNT = 602; // seqs 1..602: many blocks, the last one part full

let w: World;
let alice: TestUser;
let bob: TestUser;
let chatId: string;
const sent: string[] = []; // ids in seq order (sent[i] has seq i + 1)

const ids = (body: any): string[] => body.data.map((m: any) => m._id);

beforeAll(async () => {
  w = await startWorld();
  [alice, bob] = [w.newUser(), w.newUser()];
  chatId = await w.chat(alice, bob, 'accepted');
  // One at a time: seq order is send order, so sent[i] has seq i + 1.
  for (let i = 1; i <= COUNT; i++) {
    const from = i % 3 ? alice : bob;
    const content = i % 50 === 0 ? `needle number ${i}` : `message ${i}`;
    sent.push((await w.command(messageSend, from, { chatId, content })).messageId);
  }
}, 120_000);
afterAll(async () => {
  await w?.stop();
});

describe('history of a chat longer than a block', () => {
  it('stores each message with the blocks of its seq and rev', async () => {
    const [first] = await w.stored({ _id: new ObjectId(sent[0]!) });
    expect(first).toMatchObject({
      seq: 1,
      seqBlock: `${chatId}:0`,
      revBlock: `${chatId}:${Math.floor(first!.rev / BLOCK_SIZE)}`,
    });
    const [last] = await w.stored({ _id: new ObjectId(sent[COUNT - 1]!) });
    expect(last).toMatchObject({ seq: COUNT, seqBlock: `${chatId}:${Math.floor(COUNT / BLOCK_SIZE)}` });
  });

  it('pages newest first across block boundaries: page=N, before= and after=', async () => {
    const newest = await bob.http.get(`/api/chats/${chatId}/messages?limit=100`);
    expect(ids(newest.body)).toEqual(sent.slice(-100).reverse());
    const page4 = await bob.http.get(`/api/chats/${chatId}/messages?limit=100&page=4`);
    expect(ids(page4.body)).toEqual(sent.slice(COUNT - 400, COUNT - 300).reverse());
    const page7 = await bob.http.get(`/api/chats/${chatId}/messages?limit=100&page=7`);
    expect(ids(page7.body)).toEqual(sent.slice(0, COUNT - 600).reverse());
    // before the first message of block 1: the page is the end of block 0
    const before = await bob.http.get(`/api/chats/${chatId}/messages?before=${sent[BLOCK_SIZE - 1]}&limit=30`);
    expect(ids(before.body)).toEqual(sent.slice(BLOCK_SIZE - 31, BLOCK_SIZE - 1).reverse());
    // after a message near the end of block 0: oldest first, into block 1
    const after = await bob.http.get(`/api/chats/${chatId}/messages?after=${sent[BLOCK_SIZE - 10]}&limit=40`);
    expect(ids(after.body)).toEqual(sent.slice(BLOCK_SIZE - 9, BLOCK_SIZE + 31));
    const tail = await bob.http.get(`/api/chats/${chatId}/messages?after=${sent[COUNT - 3]}&limit=40`);
    expect(ids(tail.body)).toEqual(sent.slice(COUNT - 2));
    const start = await bob.http.get(`/api/chats/${chatId}/messages?before=${sent[2]}`);
    expect(ids(start.body)).toEqual([sent[1], sent[0]]);
  });

  it('skips what the viewer may not see across blocks, and stops at their deletion of the chat', async () => {
    // Bob hides 300 messages in a row (more than a block): his page walks past them.
    const carol = w.newUser();
    const dave = w.newUser();
    const chat = await w.chat(carol, dave, 'accepted');
    const mine: string[] = [];
    for (let i = 0; i < BLOCK_SIZE + 60; i++)
      mine.push((await w.command(messageSend, carol, { chatId: chat, content: `c${i}` })).messageId);
    for (const messageId of mine.slice(5, BLOCK_SIZE + 55))
      await w.command(messageDelete, dave, { chatId: chat, messageId, scope: 'me' });
    const forDave = await dave.http.get(`/api/chats/${chat}/messages?limit=8`);
    expect(ids(forDave.body)).toEqual([...mine.slice(-5).reverse(), mine[4], mine[3], mine[2]]);
    // Carol deletes the chat: a new message is all she sees, however long the history before it.
    expect((await carol.http.delete(`/api/chats/${chat}`)).status).toBe(200);
    const fresh = (await w.command(messageSend, dave, { chatId: chat, content: 'after her delete' })).messageId;
    const forCarol = await carol.http.get(`/api/chats/${chat}/messages?limit=50`);
    expect(ids(forCarol.body)).toEqual([fresh]);
    const searched = await carol.http.get(`/api/chats/${chat}/search?q=c1`);
    expect(searched.body.data).toEqual([]);
    expect(searched.body.window).toMatchObject({ complete: true, beforeSeq: null });
  }, 120_000);
});

describe('search over a chat longer than a block', () => {
  it('examines blocks newest first until the page is full, and says where to continue', async () => {
    const needles = (from: number, to: number) =>
      [600, 550, 500, 450, 400, 350, 300, 250, 200, 150, 100, 50].filter((n) => n >= from && n <= to);
    const first = await bob.http.get(`/api/chats/${chatId}/search?q=needle&limit=3`);
    expect(first.body.data.map((m: any) => m.content)).toEqual([
      'needle number 600',
      'needle number 550',
      'needle number 500',
    ]);
    // The page filled in the block of seq 500: the blocks from there up were examined, and total
    // counts their matches.
    const end = Math.floor(500 / BLOCK_SIZE) * BLOCK_SIZE;
    expect(first.body.window).toEqual({ fromSeq: end, toSeq: COUNT, complete: false, beforeSeq: end });
    expect(first.body.pagination).toEqual({ total: needles(end, COUNT).length, page: 1, limit: 3 });
    const next = await bob.http.get(
      `/api/chats/${chatId}/search?q=needle&limit=20&beforeSeq=${first.body.window.beforeSeq}`,
    );
    expect(next.body.data.map((m: any) => m.content)).toEqual(needles(1, end - 1).map((n) => `needle number ${n}`));
    expect(next.body.window).toEqual({ fromSeq: 1, toSeq: end - 1, complete: true, beforeSeq: null });
    const page2 = await bob.http.get(`/api/chats/${chatId}/search?q=needle&limit=5&page=2`);
    expect(page2.body.data.map((m: any) => m.content)).toEqual(
      [350, 300, 250, 200, 150].map((n) => `needle number ${n}`),
    );
  });
});

describe('the change feed over rev blocks that later changes emptied', () => {
  it('crosses runs of superseded revs in steps and never skips a change', async () => {
    const { rev: start } = (await bob.http.get(`/api/chats/${chatId}/changes?since=0&limit=1`)).body.data;
    const tail = await catchUp(bob, 0);
    expect(tail.seen.size).toBe(COUNT);
    // 276 reaction toggles on one message: 276 revs, of which one survives (a rev block left empty).
    const target = sent[10]!;
    for (let i = 0; i < BLOCK_SIZE / 2 + 10; i++) {
      await w.command(messageReact, alice, { chatId, messageId: target, emoji: '👍' });
      await w.command(messageUnreact, alice, { chatId, messageId: target, emoji: '👍' });
    }
    const edited = sent[21]!; // seq 22: sent by alice
    await w.command(messageEdit, alice, { chatId, messageId: edited, newContent: 'edited at the end' });
    const after = await catchUp(bob, tail.rev);
    expect([...after.seen.keys()].sort()).toEqual([target, edited].sort());
    expect(after.seen.get(edited).content).toBe('edited at the end');
    expect(start).toBe(1);
  }, 120_000);
});

describe('counters lost from Redis, in a chat longer than a block', () => {
  it('reseed above the highest stored seq and rev, even when later changes emptied the rev blocks between', async () => {
    const before = await catchUp(bob, 0);
    const highestRev = before.rev;
    await w.redis.del(`chat-numbers:${chatId}`);
    // A change first: its rev must pass every rev handed out before, not just be unused.
    await w.command(messageReact, bob, { chatId, messageId: sent[5]!, emoji: '🎉' });
    const [changed] = await w.stored({ _id: new ObjectId(sent[5]) });
    expect(changed!.rev).toBe(highestRev + 1);
    expect(changed!.revBlock).toBe(`${chatId}:${Math.floor(changed!.rev / BLOCK_SIZE)}`);
    await w.redis.del(`chat-numbers:${chatId}`);
    const { messageId } = await w.command(messageSend, alice, { chatId, content: 'after the loss' });
    const [stored] = await w.stored({ _id: new ObjectId(messageId) });
    expect(stored).toMatchObject({ seq: COUNT + 1, rev: highestRev + 2 });
    const newest = await bob.http.get(`/api/chats/${chatId}/messages?limit=2`);
    expect(ids(newest.body)).toEqual([messageId, sent[COUNT - 1]]);
    sent.push(messageId);
  });

  it('a number still taken twice is refused by the unique index, and the counters move above it', async () => {
    // Counters set back below what the store holds (as if reseeded past a gap of unseen revs).
    await w.redis.hset(`chat-numbers:${chatId}`, 'seq', COUNT - 5, 'rev', 3);
    const { messageId } = await w.command(messageSend, bob, { chatId, content: 'numbered twice, then again' });
    const [stored] = await w.stored({ _id: new ObjectId(messageId) });
    expect(stored!.seq).toBe(COUNT + 2);
    await w.redis.hset(`chat-numbers:${chatId}`, 'rev', 3);
    const refused = await w.refusal(messageEdit, bob, { chatId, messageId, newContent: 'edited' });
    expect(refused).toBe('UNAVAILABLE');
    await w.command(messageEdit, bob, { chatId, messageId, newContent: 'edited' });
    const [edited] = await w.stored({ _id: new ObjectId(messageId) });
    expect(edited).toMatchObject({ content: 'edited' });
    expect(edited!.rev).toBeGreaterThan(stored!.rev);
  });
});

describe('receipts in a chat longer than the blocks they read first', () => {
  it('finds ids in the newest blocks and older ones by id, and stops looking after 16 made-up ids', async () => {
    const [sender, receiver] = [w.newUser(), w.newUser()];
    const chat = await w.chat(sender, receiver, 'accepted');
    const total = 5 * BLOCK_SIZE + 10; // more than the newest blocks a receipt of 42 ids reads first
    const docs = storedMessages(chat, total, { from: () => sender.id, to: () => receiver.id });
    await w.db.getClient().db(w.db.name).collection('messages').insertMany(docs);
    const [old, recent] = [docs[2]!._id.toHexString(), docs[total - 3]!._id.toHexString()];
    const madeUp = Array.from({ length: 40 }, () => newUserId());
    const ack = await w.command(messageRead, receiver, { chatId: chat, messageIds: [old, ...madeUp, recent] });
    expect([...ack.messageIds].sort()).toEqual([old, recent].sort());
    // Past 16 ids that are not in the chat, older ids are no longer looked up: bounded work.
    const older = docs[4]!._id.toHexString();
    const bounded = await w.command(messageRead, receiver, { chatId: chat, messageIds: [...madeUp, older] });
    expect(bounded.messageIds).toEqual([]);
    const stored = await w.stored({ _id: docs[2]!._id });
    expect(stored[0]!.readBy).toEqual([expect.objectContaining({ userId: new ObjectId(receiver.id) })]);
    // A new message still numbers after the inserted ones (counters seeded from the store).
    const { messageId } = await w.command(messageSend, sender, { chatId: chat, content: 'after them' });
    expect((await w.stored({ _id: new ObjectId(messageId) }))[0]).toMatchObject({ seq: total + 1 });
  });
});

async function catchUp(user: TestUser, since: number) {
  const seen = new Map<string, any>();
  let rev = since;
  let calls = 0;
  for (let more = true; more; calls++) {
    const res = await user.http.get(`/api/chats/${chatId}/changes?since=${rev}&limit=100`);
    expect(res.status).toBe(200);
    for (const c of res.body.data.changes) seen.set(c._id, c);
    expect(res.body.data.rev).toBeGreaterThanOrEqual(rev);
    ({ rev, hasMore: more } = res.body.data);
    if (calls > 200) throw new Error('the feed does not end');
  }
  return { seen, rev, calls };
}
