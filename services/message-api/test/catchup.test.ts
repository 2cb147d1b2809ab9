import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  messageDelete,
  messageEdit,
  messageReact,
  messageRead,
  messageSend,
  messageSubjects,
  messageUnreact,
  STREAMS,
} from '@chat/contracts';
import type { Bus } from '@chat/platform';
import { startWorld, type TestUser, type World } from './harness.js';

/** Publishes through the test's bus, but fails while `failing` is on (NATS down, stream missing...). */
function flakyPublisher(bus: Bus) {
  const state = { failing: false, failures: 0 };
  return {
    state,
    publisher: {
      async publish(subject: string, event: { eventId: string }) {
        if (state.failing) {
          state.failures++;
          throw new Error('simulated: JetStream unavailable');
        }
        await bus.publish(subject, event);
      },
    },
  };
}

/** The sends of a chat whose `created` events are still to be published (Redis marks, see chat-numbers.ts). */
const unpublishedOf = async (chatId: string) =>
  (await w.redis.zrange('sends-unpublished', 0, -1)).filter((mark) => mark.startsWith(`${chatId}:`));

let w: World;
let flaky: ReturnType<typeof flakyPublisher>;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  w = await startWorld({
    publisher: (bus) => {
      flaky = flakyPublisher(bus);
      return flaky.publisher;
    },
  });
  [alice, bob] = [w.newUser(), w.newUser()];
});
afterAll(async () => {
  await w?.stop();
});

/** Replays `/changes` from rev 0, page by page, into a map of what the client would hold. */
async function rebuildFromChanges(user: TestUser, chatId: string, pageSize: number) {
  const state = new Map<string, any>();
  let since = 0;
  for (let guard = 0; guard < 1_000; guard++) {
    const res = await user.http.get(`/api/chats/${chatId}/changes?since=${since}&limit=${pageSize}`);
    expect(res.status).toBe(200);
    for (const change of res.body.data.changes) {
      expect(change.rev).toBeGreaterThan(since);
      if (change.isDeleted) state.delete(change._id);
      else state.set(change._id, change);
    }
    since = res.body.data.rev;
    if (!res.body.data.hasMore) return { state, rev: since };
  }
  throw new Error('changes never ended');
}

describe('GET /api/chats/:chatId/changes', () => {
  it('rebuilds, from rev 0, exactly what /messages shows after sends, edits, deletes, reactions and reads', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const ids: string[] = [];
    for (let i = 0; i < 14; i++) {
      const from = i % 3 === 0 ? bob : alice;
      ids.push(
        (await w.command(messageSend, from, { chatId, content: `m${i}`, ...(i === 5 ? { replyToId: ids[1] } : {}) }))
          .messageId,
      );
    }
    const at = (i: number) => ids[i] as string;
    await w.command(messageEdit, alice, { chatId, messageId: at(1), newContent: 'm1 edited' });
    await w.command(messageEdit, alice, { chatId, messageId: at(2), newContent: 'm2 edited' });
    await w.command(messageDelete, alice, { chatId, messageId: at(4) }); // for everyone
    await w.command(messageDelete, bob, { chatId, messageId: at(7) }); // hidden for bob only
    await w.command(messageReact, bob, { chatId, messageId: at(1), emoji: '👍' });
    await w.command(messageReact, alice, { chatId, messageId: at(8), emoji: '🔥' });
    await w.command(messageReact, bob, { chatId, messageId: at(8), emoji: '🔥' });
    await w.command(messageUnreact, alice, { chatId, messageId: at(8), emoji: '🔥' });
    await w.command(messageRead, bob, { chatId, messageIds: [at(1), at(2), at(4), at(10)] });
    await w.command(messageSend, bob, { chatId, content: 'late' });
    await w.command(messageEdit, alice, { chatId, messageId: at(1), newContent: 'm1 edited twice' });

    for (const user of [alice, bob]) {
      const shown = await user.http.get(`/api/chats/${chatId}/messages?limit=100`);
      for (const pageSize of [3, 100]) {
        const { state, rev } = await rebuildFromChanges(user, chatId, pageSize);
        const rebuilt = [...state.values()].sort((a, b) =>
          a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a._id < b._id ? 1 : -1,
        );
        expect(rebuilt).toEqual(shown.body.data);
        expect(rev).toBe(Math.max(...shown.body.data.map((m: any) => m.rev), rev));
      }
    }
    // Nothing missed, nothing repeated: asking again from the last rev returns nothing.
    const { rev } = await rebuildFromChanges(alice, chatId, 100);
    const tail = await alice.http.get(`/api/chats/${chatId}/changes?since=${rev}`);
    expect(tail.body.data).toEqual({ changes: [], rev, hasMore: false });
    // What bob hid comes to him as a tombstone without content; alice gets the message.
    const bobAll = await bob.http.get(`/api/chats/${chatId}/changes?since=0`);
    const hidden = bobAll.body.data.changes.find((c: any) => c._id === at(7));
    expect(hidden).toEqual({ _id: at(7), chatId, rev: expect.any(Number), seq: expect.any(Number), isDeleted: true });
  });

  it('numbers concurrent sends of both participants with distinct seq increasing in createdAt order, and distinct revs', async () => {
    const [c, d] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(c, d);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => w.command(messageSend, i % 2 ? c : d, { chatId, content: `p${i}` })),
    );
    const docs = await w.stored({ chatId: new ObjectId(chatId) }); // sorted by createdAt
    expect(docs.map((m) => m.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(docs.map((m) => m.rev)).size).toBe(12);
  });

  it('keeps every concurrent change to one message (no lost update) and gives each its own rev', async () => {
    const [c, d] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(c, d);
    const { messageId } = await w.command(messageSend, c, { chatId, content: 'busy message' });
    const emojis = ['🍎', '🍐', '🍊', '🍋', '🍌', '🍉'];
    await Promise.all([
      ...emojis.map((emoji) => w.command(messageReact, d, { chatId, messageId, emoji })),
      ...emojis.map((emoji) => w.command(messageReact, c, { chatId, messageId, emoji })),
      w.command(messageRead, d, { chatId, messageIds: [messageId] }),
      w.command(messageEdit, c, { chatId, messageId, newContent: 'edited while busy' }),
    ]);
    const [doc] = await w.stored({ _id: new ObjectId(messageId) });
    expect(doc?.reactions).toHaveLength(12);
    expect(doc?.readBy.map((r: any) => String(r.userId))).toEqual([d.id]);
    expect(doc?.content).toBe('edited while busy');
    expect(doc?.rev).toBe(1 + 12 + 1 + 1);
  });

  it('refuses bad since/limit values and outsiders', async () => {
    const chatId = await w.chat(alice, w.newUser());
    for (const q of ['since=-1', 'since=abc', 'limit=0', 'limit=101', 'since[$gt]=0', 'since=1&since=2']) {
      expect((await alice.http.get(`/api/chats/${chatId}/changes?${q}`)).status, q).toBe(400);
    }
    expect((await w.newUser().http.get(`/api/chats/${chatId}/changes`)).status).toBe(403);
  });
});

describe('idempotent send', () => {
  it('stores one message when the same clientMessageId is sent concurrently to two replicas, and answers every retry with it', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const replica = await w.addReplica(); // the queue group now spreads commands over two message-api instances
    try {
      const clientMessageId = 'retry-me-1';
      const acks = await Promise.all(
        Array.from({ length: 10 }, () =>
          w.command(messageSend, alice, { chatId, content: 'only once', clientMessageId }),
        ),
      );
      const stored = await w.stored({ chatId: new ObjectId(chatId) });
      expect(stored).toHaveLength(1);
      const id = String(stored[0]?._id);
      expect(new Set(acks.map((a) => a.messageId))).toEqual(new Set([id]));
      expect(acks.filter((a) => !a.duplicate)).toHaveLength(1);
      // One created event stored, not ten (the relay may re-send it; JetStream keeps one per event id).
      // Counted before the delete below: a delete for everyone erases it from the stream.
      await w.waitForEvent((e) => e.event.type === 'created' && e.event.data.messageId === id);
      const jsm = await jetstreamManager(w.bus.nc);
      const subject = messageSubjects.event(chatId, 'created', id);
      const info = await jsm.streams.info(STREAMS.messages.name, { subjects_filter: `messages.${chatId}.created.*` });
      expect(info.state.subjects).toEqual({ [subject]: 1 });
      // Even after it was deleted, a retry stores nothing and answers the first id.
      await w.command(messageDelete, alice, { chatId, messageId: id });
      const late = await w.command(messageSend, alice, { chatId, content: 'only once', clientMessageId });
      expect(late).toMatchObject({ messageId: id, duplicate: true });
      expect(await w.stored({ chatId: new ObjectId(chatId) })).toHaveLength(1);
      await w.waitForEvent((e) => e.event.type === 'deleted' && e.event.data.messageId === id);
      const createdIds = new Set(
        w.events.filter((e) => e.event.type === 'created' && e.event.data.messageId === id).map((e) => e.event.eventId),
      );
      expect(createdIds.size).toBe(1);
      // The same id from the other participant is their own message.
      const bobs = await w.command(messageSend, bob, { chatId, content: 'mine', clientMessageId });
      expect(bobs.messageId).not.toBe(id);
    } finally {
      await replica.close();
    }
  });
});

describe('outbox', () => {
  it('acknowledges a send while publishing fails, and the event reaches the MESSAGES stream once the relay retries', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    flaky.state.failing = true;
    const ack = await w.command(messageSend, alice, { chatId, content: 'survives an outage' });
    const edit = await w.command(messageEdit, alice, {
      chatId,
      messageId: ack.messageId,
      newContent: 'edited in the outage',
    });
    const read = await w.command(messageRead, bob, { chatId, messageIds: [ack.messageId] });
    expect(edit.newContent).toBe('edited in the outage');
    expect(read.messageIds).toEqual([ack.messageId]);
    expect(flaky.state.failures).toBeGreaterThanOrEqual(3);
    const [doc] = await w.stored({ _id: new ObjectId(ack.messageId) });
    expect(doc?.pendingEvents).toHaveLength(1); // the edit waits in the message itself
    // Its created event waits as the mark its numbering left, not as a row in the store.
    expect(await unpublishedOf(chatId)).toHaveLength(1);
    expect(await w.db.collection('send_outbox').countDocuments({})).toBe(0);
    expect(w.events.some((e) => e.event.data?.messageId === ack.messageId)).toBe(false);

    flaky.state.failing = false;
    const created = await w.waitForEvent((e) => e.event.type === 'created' && e.event.data.messageId === ack.messageId);
    await w.waitForEvent((e) => e.event.type === 'edited' && e.event.data.messageId === ack.messageId);
    await w.waitForEvent((e) => e.event.type === 'read' && e.event.data.messageIds.includes(ack.messageId));
    // Relayed from the message as stored now: the edit made meanwhile shows (and its own event follows).
    expect(created.event.data).toMatchObject({ content: 'edited in the outage', senderId: alice.id, rev: 1, seq: 1 });

    // Stored in JetStream (not only seen on the wire), and the outbox is empty again.
    const jsm = await jetstreamManager(w.bus.nc);
    const last = await jsm.streams.getMessage(STREAMS.messages.name, {
      last_by_subj: messageSubjects.event(chatId, 'created', ack.messageId),
    });
    expect(JSON.parse(new TextDecoder().decode(last!.data)).data.messageId).toBe(ack.messageId);
    await expect.poll(async () => (await w.stored({ _id: new ObjectId(ack.messageId) }))[0]?.pendingEvents).toEqual([]);
    await expect.poll(() => unpublishedOf(chatId)).toEqual([]);
    await expect.poll(async () => await w.db.collection('read_outbox').countDocuments({ state: 'pending' })).toBe(0);
  });

  it('publishes a relayed event once even when the relay runs twice (JetStream de-duplicates by event id)', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    flaky.state.failing = true;
    await w.command(messageSend, bob, { chatId, content: 'twice?' });
    const [mark] = await unpublishedOf(chatId);
    flaky.state.failing = false;
    await expect.poll(() => unpublishedOf(chatId), { timeout: 5_000 }).toEqual([]);
    // The mark again, as if its removal had been lost (or a second replica had the same one): a second publish.
    await w.redis.zadd('sends-unpublished', 0, mark!);
    await w.messageApi.relayOnce();
    expect(await unpublishedOf(chatId)).toEqual([]);
    const jsm = await jetstreamManager(w.bus.nc);
    const info = await jsm.streams.info(STREAMS.messages.name, { subjects_filter: `messages.${chatId}.created.*` });
    expect(Object.values(info.state.subjects ?? {})).toEqual([1]);
  });

  it('applies and publishes a read whose replica crashed right after recording it', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const m1 = (await w.command(messageSend, alice, { chatId, content: 'read me' })).messageId;
    const m2 = (await w.command(messageSend, alice, { chatId, content: 'still unread' })).messageId;
    // What recordReceipts writes first for a read, left behind without the read applied or published.
    const eventId = 'crashed-read-1';
    await w.db.collection('read_outbox').insertOne({
      _id: eventId as never,
      chatId: new ObjectId(chatId),
      readerId: new ObjectId(bob.id),
      messageIds: [new ObjectId(m1)],
      revs: [1],
      readAt: new Date(Date.now() - 60_000),
      clearedAt: null,
      state: 'pending',
      createdAt: new Date(Date.now() - 60_000),
    });
    await w.messageApi.relayOnce();
    const { event } = await w.waitForEvent((e) => e.event.eventId === eventId);
    expect(event).toMatchObject({ type: 'read', chatId, data: { messageIds: [m1], readBy: bob.id } });
    const [doc] = await w.stored({ _id: new ObjectId(m1) });
    expect(doc?.readBy.map((r: any) => String(r.userId))).toEqual([bob.id]);
    const [latest] = await w.stored({ _id: new ObjectId(m2) });
    expect(doc?.rev).toBeGreaterThan(latest?.rev); // a fresh rev, so /changes readers still see it
    expect(await w.db.collection('read_outbox').countDocuments({ _id: eventId as never })).toBe(0);
  });
});

describe('stream outage', () => {
  it('stores the event once the MESSAGES stream is back after JetStream refused it (stream deleted mid-send)', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const jsm = await jetstreamManager(w.bus.nc);
    await jsm.streams.delete(STREAMS.messages.name);
    try {
      const ack = await w.command(messageSend, alice, { chatId, content: 'sent while the stream was gone' });
      expect(await w.stored({ _id: new ObjectId(ack.messageId) })).toHaveLength(1);
      const kept = async () => (await unpublishedOf(chatId)).length;
      await expect.poll(kept).toBe(1);
      await w.bus.ensureStreams([STREAMS.messages]);
      await expect.poll(kept, { timeout: 10_000 }).toBe(0);
      const last = await jsm.streams.getMessage(STREAMS.messages.name, {
        last_by_subj: messageSubjects.event(chatId, 'created', ack.messageId),
      });
      expect(JSON.parse(new TextDecoder().decode(last!.data)).data.messageId).toBe(ack.messageId);
    } finally {
      await w.bus.ensureStreams([STREAMS.messages]);
    }
  });
});

describe('chat change lock', () => {
  it('sends take no lock: a send goes through while the chat change lock is held', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    await w.redis.set(`message-change:${chatId}`, 'other-replica:1', 'PX', 60_000);
    try {
      const ack = await w.command(messageSend, alice, { chatId, content: 'no lock needed' });
      expect(await w.stored({ _id: new ObjectId(ack.messageId) })).toHaveLength(1);
    } finally {
      await w.redis.del(`message-change:${chatId}`);
    }
  });

  it('takes over a change lock left by a crashed replica once it has expired', async () => {
    [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const { messageId } = await w.command(messageSend, alice, { chatId, content: 'before the crash' });
    await w.redis.set(`message-change:${chatId}`, 'dead-replica:1', 'PX', 500);
    const edit = await w.command(messageEdit, alice, { chatId, messageId, newContent: 'after the crash' });
    expect(edit.newContent).toBe('after the crash');
    // Released (the edit's event cleanup takes it again briefly, in the background).
    await expect.poll(() => w.redis.exists(`message-change:${chatId}`)).toBe(0);
  });
});
