import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { MARK_DELIVERED_MAX_IDS, messageDelete, messageDelivered, messageRead, messageSend } from '@chat/contracts';
import { newUserId } from '@chat/testkit';
import { startWorld, type TestUser, type World } from './harness.js';

let w: World;

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});

const storedOne = async (id: string) => (await w.stored({ _id: new ObjectId(id) }))[0] as Record<string, any>;
const deliveredIds = (doc: Record<string, any>) => (doc.deliveredTo ?? []).map((d: any) => String(d.userId));
const deliveredEvents = (chatId: string) =>
  w.events.filter((e) => e.event.type === 'delivered' && e.event.chatId === chatId);

/** A fresh accepted chat where `alice` sent `count` messages to `bob`. */
async function conversation(count: number) {
  const [alice, bob] = [w.newUser(), w.newUser()];
  const chatId = await w.chat(alice, bob);
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await w.command(messageSend, alice, { chatId, content: `m${i}` })).messageId);
  return { alice, bob, chatId, ids };
}

const history = async (user: TestUser, chatId: string) => {
  const res = await user.http.get(`/api/chats/${chatId}/messages?limit=100`);
  expect(res.status).toBe(200);
  return new Map<string, any>(res.body.data.map((m: any) => [m._id, m]));
};

describe('mark delivered', () => {
  it('records the receiver once on the messages they received, answers and publishes exactly those, with one rev each', async () => {
    const { alice, bob, chatId, ids } = await conversation(3);
    const [m1, m2] = ids as [string, string];
    const own = (await w.command(messageSend, bob, { chatId, content: 'bob’s own' })).messageId;
    const carol = w.newUser();
    const foreign = (await w.command(messageSend, carol, { chatId: await w.chat(carol, bob), content: 'elsewhere' }))
      .messageId;
    const revBefore = (await storedOne(m1)).rev;

    const ack = await w.command(messageDelivered, bob, {
      chatId,
      messageIds: [m1, m2, m1, own, foreign, newUserId()],
    });
    expect(ack.messageIds.sort()).toEqual([m1, m2].sort());
    for (const id of [m1, m2]) {
      const doc = await storedOne(id);
      expect(doc.deliveredTo).toEqual([{ userId: new ObjectId(bob.id), deliveredAt: new Date(ack.timestamp) }]);
      expect(doc.rev).toBeGreaterThan(revBefore);
      expect(doc.readBy).toEqual([]); // delivered is not read
    }
    expect(deliveredIds(await storedOne(own))).toEqual([]);
    expect(deliveredIds(await storedOne(foreign))).toEqual([]);
    expect(deliveredIds(await storedOne(ids[2]!))).toEqual([]);

    const { subject, event } = await w.waitForEvent((e) => e.event.type === 'delivered' && e.event.chatId === chatId);
    expect(subject).toBe(`messages.${chatId}.delivered.many`);
    expect(event.data).toMatchObject({ deliveredTo: bob.id, timestamp: ack.timestamp });
    expect(event.data.messageIds.sort()).toEqual([m1, m2].sort());
    const revs = [(await storedOne(m1)).rev, (await storedOne(m2)).rev].sort((a, b) => a - b);
    expect([...event.data.revs].sort((a: number, b: number) => a - b)).toEqual(revs);
    expect(event.data.rev).toBe(revs[1]);

    // Both participants see it in history; the sender is the one who needs the tick.
    for (const user of [alice, bob]) {
      const shown = await history(user, chatId);
      expect(shown.get(m1).deliveredTo).toEqual([{ userId: bob.id, deliveredAt: ack.timestamp }]);
      expect(shown.get(ids[2]!).deliveredTo).toEqual([]);
    }
  });

  it('is idempotent: a repeat records nothing, spends no rev and publishes nothing', async () => {
    const { bob, chatId, ids } = await conversation(2);
    const first = await w.command(messageDelivered, bob, { chatId, messageIds: ids });
    expect(first.messageIds.sort()).toEqual([...ids].sort());
    await w.waitForEvent((e) => e.event.type === 'delivered' && e.event.chatId === chatId);
    const revs = await Promise.all(ids.map(async (id) => (await storedOne(id)).rev));

    const again = await w.command(messageDelivered, bob, { chatId, messageIds: ids });
    expect(again).toMatchObject({ chatId, messageIds: [] });
    for (const [i, id] of ids.entries()) {
      const doc = await storedOne(id);
      expect(doc.deliveredTo).toHaveLength(1);
      expect(doc.rev).toBe(revs[i]);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(deliveredEvents(chatId)).toHaveLength(1);
  });

  it('records once when the same receipt arrives several times at once (two replicas)', async () => {
    const { bob, chatId, ids } = await conversation(4);
    const replica = await w.addReplica();
    try {
      const acks = await Promise.all(
        Array.from({ length: 6 }, () => w.command(messageDelivered, bob, { chatId, messageIds: ids })),
      );
      expect(acks.flatMap((a) => a.messageIds).sort()).toEqual([...ids].sort());
      for (const id of ids) expect((await storedOne(id)).deliveredTo).toHaveLength(1);
    } finally {
      await replica.close();
    }
  });

  it('a read message counts as delivered: it is not recorded again, and history shows it delivered when read', async () => {
    const { alice, bob, chatId, ids } = await conversation(3);
    const [readFirst, deliveredFirst, plain] = ids as [string, string, string];
    const read = await w.command(messageRead, bob, { chatId, messageIds: [readFirst] });
    expect(read.messageIds).toEqual([readFirst]);

    const delivered = await w.command(messageDelivered, bob, { chatId, messageIds: [readFirst, deliveredFirst] });
    expect(delivered.messageIds).toEqual([deliveredFirst]);
    expect((await storedOne(readFirst)).deliveredTo).toBeUndefined();
    // Read after delivery: both receipts kept, each once.
    await w.command(messageRead, bob, { chatId, messageIds: [deliveredFirst] });

    const shown = await history(alice, chatId);
    const readAt = shown.get(readFirst).readBy[0].readAt;
    expect(shown.get(readFirst).deliveredTo).toEqual([{ userId: bob.id, deliveredAt: readAt }]);
    expect(shown.get(deliveredFirst).deliveredTo).toEqual([{ userId: bob.id, deliveredAt: delivered.timestamp }]);
    expect(shown.get(deliveredFirst).readBy).toEqual([{ userId: bob.id, readAt: expect.any(String) }]);
    expect(shown.get(plain).deliveredTo).toEqual([]);
  });

  it('leaves unread counts alone and chat-api records every rev it spent', async () => {
    const { bob, chatId, ids } = await conversation(3);
    await w.command(messageDelivered, bob, { chatId, messageIds: ids });
    const highest = Math.max(...(await Promise.all(ids.map(async (id) => (await storedOne(id)).rev))));
    // chat-api's applied revs fold into the floor only when no rev is missing.
    await expect
      .poll(async () => (await w.db.collection('chats').findOne({ _id: new ObjectId(chatId) }))?.appliedRevs, {
        timeout: 10_000,
      })
      .toEqual({ floor: highest, revs: [] });
    const chat = await bob.http.get(`/api/chats/${chatId}`);
    expect(chat.body.data.unreadCount).toBe(3);
  });

  it('bumps rev so that /changes carries the delivery to a sender catching up', async () => {
    const { alice, bob, chatId, ids } = await conversation(2);
    const feed = await alice.http.get(`/api/chats/${chatId}/changes?since=0`);
    const since = feed.body.data.rev;
    const ack = await w.command(messageDelivered, bob, { chatId, messageIds: [ids[1]!] });
    const changes = await alice.http.get(`/api/chats/${chatId}/changes?since=${since}`);
    expect(changes.body.data.changes).toHaveLength(1);
    expect(changes.body.data.changes[0]).toMatchObject({
      _id: ids[1],
      deliveredTo: [{ userId: bob.id, deliveredAt: ack.timestamp }],
    });
    expect(changes.body.data.rev).toBeGreaterThan(since);
  });

  it('refuses an outsider as mark read does, and malformed input with VALIDATION; nothing changes', async () => {
    const { bob, chatId, ids } = await conversation(1);
    const [eve, carol] = [w.newUser(), w.newUser()];
    const carolsChat = await w.chat(carol, eve);
    for (const [user, chat] of [
      [eve, chatId],
      [carol, chatId],
    ] as const) {
      expect(await w.refusal(messageDelivered, user, { chatId: chat, messageIds: ids })).toBe(
        await w.refusal(messageRead, user, { chatId: chat, messageIds: ids }),
      );
    }
    // A participant of another chat cannot reach these messages through their own chat either.
    expect((await w.command(messageDelivered, eve, { chatId: carolsChat, messageIds: ids })).messageIds).toEqual([]);

    const tooMany = Array.from({ length: MARK_DELIVERED_MAX_IDS + 1 }, () => newUserId());
    for (const bad of [
      { chatId, messageIds: tooMany },
      { chatId, messageIds: [] },
      { chatId, messageIds: [{ $gt: '' }] },
      { chatId, messageIds: ['not-an-id'] },
      { chatId, messageIds: ids[0] },
      { chatId: { $ne: null }, messageIds: ids },
      { messageIds: ids },
      null,
    ])
      expect(await w.refusal(messageDelivered, bob, bad), JSON.stringify(bad)?.slice(0, 60)).toBe('VALIDATION');
    expect((await storedOne(ids[0]!)).deliveredTo).toBeUndefined();
    expect(deliveredEvents(chatId)).toEqual([]);

    // The full 500 ids is allowed.
    const most = [ids[0]!, ...tooMany.slice(0, MARK_DELIVERED_MAX_IDS - 1)];
    expect((await w.command(messageDelivered, bob, { chatId, messageIds: most })).messageIds).toEqual([ids[0]]);
  });

  it('never records on messages hidden by the receiver or deleted for everyone', async () => {
    const { alice, bob, chatId, ids } = await conversation(2);
    const [hidden, gone] = ids as [string, string];
    await w.command(messageDelete, bob, { chatId, messageId: hidden, scope: 'me' });
    await w.command(messageDelete, alice, { chatId, messageId: gone });
    expect((await w.command(messageDelivered, bob, { chatId, messageIds: ids })).messageIds).toEqual([]);
  });

  it('records 500 new messages in one call, and the store keeps answering', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const ids: string[] = [];
    while (ids.length < MARK_DELIVERED_MAX_IDS) {
      const chunk = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          w.command(messageSend, alice, { chatId, content: `bulk ${ids.length + i}` }),
        ),
      );
      ids.push(...chunk.map((a) => a.messageId));
    }
    // Let chat-api finish projecting the sends (its access answers wait behind them).
    await expect
      .poll(async () => (await bob.http.get(`/api/chats/${chatId}`)).body.data?.unreadCount, { timeout: 60_000 })
      .toBe(MARK_DELIVERED_MAX_IDS);
    // FerretDB applies 500 updates in seconds: a deadline long enough that the bus does not send
    // the request again (a repeat would answer [] for what the first attempt recorded).
    const started = Date.now();
    const ack = await w.bus.request(
      messageDelivered,
      { chatId, messageIds: ids },
      { userId: bob.id, timeoutMs: 30_000 },
    );
    console.info(`mark delivered of ${MARK_DELIVERED_MAX_IDS} new messages: ${Date.now() - started} ms`);
    expect(ack.messageIds).toHaveLength(MARK_DELIVERED_MAX_IDS);
    // One bulk write of 500 updates would have stalled FerretDB (see recordReceipt): it still answers.
    const shown = await history(alice, chatId);
    expect([...shown.values()].every((m) => m.deliveredTo[0]?.userId === bob.id)).toBe(true);
    // And a read of 200 delivered messages, the most mark_as_read takes, goes through the same way.
    const read = await w.bus.request(
      messageRead,
      { chatId, messageIds: ids.slice(0, 200) },
      { userId: bob.id, timeoutMs: 30_000 },
    );
    expect(read.messageIds).toHaveLength(200);
  }, 60_000);

  it('applies and publishes a delivery whose replica crashed right after recording it', async () => {
    const { bob, chatId, ids } = await conversation(2);
    const [m1, m2] = ids as [string, string];
    // What recordReceipts writes first for a delivery, left behind without the delivery applied or published.
    const eventId = 'crashed-delivery-1';
    const deliveredAt = new Date(Date.now() - 60_000);
    await w.db.collection('read_outbox').insertOne({
      _id: eventId as never,
      kind: 'delivered',
      chatId: new ObjectId(chatId),
      readerId: new ObjectId(bob.id),
      messageIds: [new ObjectId(m1)],
      revs: [1],
      readAt: deliveredAt,
      clearedAt: null,
      state: 'pending',
      createdAt: deliveredAt,
    });
    await w.messageApi.relayOnce();
    const { subject, event } = await w.waitForEvent((e) => e.event.eventId === eventId);
    expect(subject).toBe(`messages.${chatId}.delivered.many`);
    expect(event).toMatchObject({ type: 'delivered', chatId, data: { messageIds: [m1], deliveredTo: bob.id } });
    const doc = await storedOne(m1);
    expect(doc.deliveredTo).toEqual([{ userId: new ObjectId(bob.id), deliveredAt }]);
    expect(doc.readBy).toEqual([]); // the row is a delivery, not a read
    expect(doc.rev).toBeGreaterThan((await storedOne(m2)).rev); // a fresh rev, so /changes readers still see it
    expect(await w.db.collection('read_outbox').countDocuments({ _id: eventId as never })).toBe(0);
  });
});
