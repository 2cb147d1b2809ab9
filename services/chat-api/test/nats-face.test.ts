import { serviceUserEnv, NATS_TEST_CREDENTIALS } from '@chat/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { jetstreamManager } from '@nats-io/jetstream';
import { chatAccessCheck, chatEventSchema, chatListForUser, STREAMS, type ChatEvent } from '@chat/contracts';
import { AppError, Bus, createLogger, parseConfig } from '@chat/platform';
import { chatApiConfigSchema, startChatApi } from '../src/index.js';
import { newUser, startWorld, type ChatApiWorld, type TestUser } from './harness.js';

let world: ChatApiWorld;
let bus: Bus;
const events: { subject: string; event: ChatEvent }[] = [];

beforeAll(async () => {
  world = await startWorld({ OUTBOX_RELAY_INTERVAL_MS: '200', OUTBOX_RELAY_AFTER_MS: '1000' });
  bus = await Bus.connect({
    credentials: NATS_TEST_CREDENTIALS,
    url: world.infra.natsUrl,
    name: 'chat-api-test',
    logger: createLogger('test', 'silent'),
    timeoutMs: 3000,
  });
  bus.nc.subscribe('chats.>', {
    callback: (_err, msg) => {
      const parsed = chatEventSchema.safeParse(msg.json());
      if (parsed.success) events.push({ subject: msg.subject, event: parsed.data });
    },
  });
});
afterAll(async () => {
  await bus?.drain();
  await world?.stop();
});

async function request(from: TestUser, to: TestUser): Promise<string> {
  const res = await from.http.post('/api/chats/or-create', { recipientId: to.id });
  return res.body.data._id as string;
}
const check = (chatId: string, userId: string, action: 'read' | 'send') =>
  bus.request(chatAccessCheck, { chatId, userId, action });

async function eventsFor(chatId: string, count: number): Promise<ChatEvent[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    // Live subscribers can see a publish twice (request path and relay); the stream stores it once.
    const mine = [
      ...new Map(events.filter((e) => e.event.chatId === chatId).map((e) => [e.event.eventId, e.event])).values(),
    ];
    if (mine.length >= count || Date.now() > deadline) return mine;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('chat.access.check', () => {
  it('unknown chat and non-participant are distinct answers', async () => {
    const [a, b, c] = [newUser(world.edgeUrl), newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const chatId = await request(a, b);
    expect(await check(new Types.ObjectId().toHexString(), a.id, 'read')).toMatchObject({
      allowed: false,
      reason: 'NOT_FOUND',
    });
    const stranger = await check(chatId, c.id, 'read');
    expect(stranger).toMatchObject({ allowed: false, reason: 'NOT_PARTICIPANT' });
    expect('chat' in stranger && stranger.chat).toBeFalsy();
  });

  it('follows the chat through its states: who may read and who may send', async () => {
    const [a, b] = [newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const chatId = await request(a, b);
    // pending: the requester may send (a message request), the recipient only read
    expect(await check(chatId, a.id, 'send')).toMatchObject({
      allowed: true,
      chat: {
        chatId,
        participants: [a.id, b.id].sort(),
        otherUserId: b.id,
        status: 'pending',
        requestedBy: a.id,
        blockedBy: null,
        clearedAt: null,
      },
    });
    expect(await check(chatId, b.id, 'send')).toMatchObject({
      allowed: false,
      reason: 'STATUS',
      chat: { status: 'pending' },
    });
    expect(await check(chatId, b.id, 'read')).toMatchObject({ allowed: true });
    await b.http.post(`/api/chats/${chatId}/accept`);
    expect(await check(chatId, b.id, 'send')).toMatchObject({
      allowed: true,
      chat: { status: 'accepted', otherUserId: a.id },
    });
    await b.http.post(`/api/chats/${chatId}/block`);
    for (const u of [a, b]) {
      expect(await check(chatId, u.id, 'send')).toMatchObject({
        allowed: false,
        reason: 'STATUS',
        chat: { status: 'blocked', blockedBy: b.id },
      });
      expect(await check(chatId, u.id, 'read')).toMatchObject({ allowed: true });
    }
    await b.http.post(`/api/chats/${chatId}/unblock`);
    await a.http.delete(`/api/chats/${chatId}`);
    const afterDelete = await check(chatId, a.id, 'read');
    expect(afterDelete).toMatchObject({ allowed: true, chat: { status: 'accepted' } });
    expect(afterDelete.allowed && afterDelete.chat.clearedAt).toEqual(expect.any(String));
  });

  it('a second replica never answers from a stale cache after the first one changes the chat', async () => {
    const second = await startChatApi(
      parseConfig(chatApiConfigSchema, { ...world.infra.env, ...serviceUserEnv('chat-api'), PORT: '0' }),
      createLogger('replica-2', 'silent'),
    );
    try {
      const [a, b] = [newUser(world.edgeUrl), newUser(world.edgeUrl)];
      const chatId = await request(a, b);
      await b.http.post(`/api/chats/${chatId}/accept`);
      // Both replicas answer (queue group) and cache the chat.
      for (let i = 0; i < 20; i++) expect(await check(chatId, b.id, 'send')).toMatchObject({ allowed: true });
      await a.http.post(`/api/chats/${chatId}/block`);
      for (let i = 0; i < 20; i++)
        expect(await check(chatId, b.id, 'send')).toMatchObject({ allowed: false, reason: 'STATUS' });
      await a.http.post(`/api/chats/${chatId}/unblock`);
      for (let i = 0; i < 20; i++) expect(await check(chatId, b.id, 'send')).toMatchObject({ allowed: true });
    } finally {
      await second.close();
    }
  });

  it('refuses malformed questions with VALIDATION', async () => {
    for (const bad of [
      { chatId: 'x', userId: new Types.ObjectId().toHexString(), action: 'read' },
      { chatId: { $gt: '' }, userId: new Types.ObjectId().toHexString(), action: 'read' },
      { chatId: new Types.ObjectId().toHexString(), userId: new Types.ObjectId().toHexString(), action: 'write' },
    ]) {
      const err = await bus.request(chatAccessCheck, bad as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('VALIDATION');
    }
  });

  it('answers quickly (median of 50 sequential checks logged, not asserted)', async () => {
    const [a, b] = [newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const chatId = await request(a, b);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await check(chatId, a.id, 'send');
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    console.info(`chat.access.check round trip: median ${times[25]!.toFixed(2)} ms, p90 ${times[45]!.toFixed(2)} ms`);
    expect(times).toHaveLength(50);
  });
});

describe('chat.user.list', () => {
  it('lists the chats whose rooms may hear the user’s presence: accepted, not deleted; never pending, rejected or blocked', async () => {
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(() => newUser(world.edgeUrl)) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    const ab = await request(a, b);
    const ac = await request(a, c);
    const ad = await request(a, d);
    const ae = await request(a, e);
    // Pending: nobody learns anyone's presence yet.
    expect((await bus.request(chatListForUser, { userId: a.id })).chatIds).toEqual([]);
    for (const [user, chatId] of [
      [b, ab],
      [c, ac],
      [e, ae],
    ] as const)
      expect((await user.http.post(`/api/chats/${chatId}/accept`)).status).toBe(200);
    expect((await d.http.post(`/api/chats/${ad}/reject`)).status).toBe(200);
    expect((await e.http.post(`/api/chats/${ae}/block`)).status).toBe(200);
    expect((await bus.request(chatListForUser, { userId: a.id })).chatIds.sort()).toEqual([ab, ac].sort());
    await a.http.delete(`/api/chats/${ac}`);
    expect((await bus.request(chatListForUser, { userId: a.id })).chatIds).toEqual([ab]);
    expect((await bus.request(chatListForUser, { userId: c.id })).chatIds).toEqual([ac]);
    expect((await bus.request(chatListForUser, { userId: new Types.ObjectId().toHexString() })).chatIds).toEqual([]);
  });
});

describe('chat events on the CHATS stream', () => {
  it('publishes created, auto_accepted, blocked, unblocked, archived, unarchived, deleted, restored with the snapshot', async () => {
    const [a, b] = [newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const chatId = await request(a, b);
    await b.http.post('/api/chats/or-create', { recipientId: a.id });
    await a.http.post(`/api/chats/${chatId}/block`);
    await a.http.post(`/api/chats/${chatId}/unblock`);
    await b.http.post(`/api/chats/${chatId}/archive`);
    await b.http.post(`/api/chats/${chatId}/archive`);
    await a.http.delete(`/api/chats/${chatId}`);
    await a.http.post('/api/chats/or-create', { recipientId: b.id });
    const got = await eventsFor(chatId, 8);
    expect(got.map((e) => e.type)).toEqual([
      'created',
      'auto_accepted',
      'blocked',
      'unblocked',
      'archived',
      'unarchived',
      'deleted',
      'restored',
    ]);
    expect(got[0]).toMatchObject({
      chatId,
      data: { chatId, status: 'pending', requestedBy: a.id, actorId: a.id, participants: [a.id, b.id].sort() },
    });
    expect(got[2]).toMatchObject({ data: { status: 'blocked', blockedBy: a.id, actorId: a.id } });
    expect(got[4]).toMatchObject({ data: { actorId: b.id } });
    expect(new Set(got.map((e) => e.eventId)).size).toBe(8);
    const subjects = events.filter((e) => e.event.chatId === chatId).map((e) => e.subject);
    expect(subjects[0]).toBe(`chats.${chatId}.created`);
  });

  it('publishes accepted and rejected, and stores events in the stream', async () => {
    const [a, b, c] = [newUser(world.edgeUrl), newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const ab = await request(a, b);
    const ac = await request(a, c);
    await b.http.post(`/api/chats/${ab}/accept`);
    await c.http.post(`/api/chats/${ac}/reject`);
    expect((await eventsFor(ab, 2)).map((e) => e.type)).toEqual(['created', 'accepted']);
    expect((await eventsFor(ac, 2)).map((e) => e.type)).toEqual(['created', 'rejected']);
    // Stored in the stream (what the gateway's durable consumer reads), not only sent to live subscribers.
    const jsm = await jetstreamManager(bus.nc);
    const accepted = (await eventsFor(ab, 2))[1]!;
    const stored = await jsm.streams.getMessage(STREAMS.chats.name, { last_by_subj: `chats.${ab}.accepted` });
    expect(stored?.json<ChatEvent>().eventId).toBe(accepted.eventId);
  });

  it('leaves no event behind in the chat outbox after a successful publish', async () => {
    const [a, b] = [newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const chatId = await request(a, b);
    await b.http.post(`/api/chats/${chatId}/accept`);
    await eventsFor(chatId, 2);
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.outbox).toEqual([]);
    // The relay finds chats by this flag alone, so it must come down with the last entry.
    expect(doc!.outboxPending).toBe(false);
  });

  it('the relay publishes an event a crashed writer left in the outbox, once', async () => {
    const [a, b] = [newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const chatId = await request(a, b);
    await eventsFor(chatId, 1);
    // As if chat-api died between the write (status and outbox entry) and the publish.
    const eventId = randomUUID();
    await world.db.collection('chats').updateOne({ _id: new Types.ObjectId(chatId) }, {
      $set: {
        status: 'blocked',
        blockedBy: new Types.ObjectId(a.id),
        statusBeforeBlock: 'pending',
        outboxPending: true,
      },
      $push: { outbox: { eventId, type: 'blocked', actorId: a.id, at: new Date(Date.now() - 10_000) } },
    } as never);
    const got = await eventsFor(chatId, 2);
    expect(got.map((e) => e.type)).toEqual(['created', 'blocked']);
    expect(got[1]).toMatchObject({ eventId, data: { status: 'blocked', blockedBy: a.id, actorId: a.id } });
    const deadline = Date.now() + 5_000;
    while (
      (await world.storedChats({ _id: new Types.ObjectId(chatId) }))[0]!.outbox.length > 0 &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await world.storedChats({ _id: new Types.ObjectId(chatId) }))[0]).toMatchObject({
      outbox: [],
      outboxPending: false,
    });
    await new Promise((r) => setTimeout(r, 500));
    // Stored once in the stream, whatever the relay passes did.
    const jsm = await jetstreamManager(bus.nc);
    const info = await jsm.streams.info(STREAMS.chats.name, { subjects_filter: `chats.${chatId}.blocked` });
    expect(info.state.subjects).toEqual({ [`chats.${chatId}.blocked`]: 1 });
  });

  it('a refused action publishes nothing', async () => {
    const [a, b] = [newUser(world.edgeUrl), newUser(world.edgeUrl)];
    const chatId = await request(a, b);
    expect((await a.http.post(`/api/chats/${chatId}/accept`)).status).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
    expect((await eventsFor(chatId, 1)).map((e) => e.type)).toEqual(['created']);
  });
});
