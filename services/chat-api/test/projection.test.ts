import { NATS_TEST_CREDENTIALS } from '@chat/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import {
  messageSubjects,
  noticeSubjects,
  STREAMS,
  unreadChangedEvent,
  type MessageType,
  type UnreadChangedEvent,
} from '@chat/contracts';
import { Bus, createLogger } from '@chat/platform';
import { newUser, startWorld, type ChatApiWorld, type TestUser } from './harness.js';
import { REVS_KEPT } from '../src/domain/applied-revs.js';

let world: ChatApiWorld;
let bus: Bus;
const unread: UnreadChangedEvent[] = [];

beforeAll(async () => {
  world = await startWorld();
  bus = await Bus.connect({
    credentials: NATS_TEST_CREDENTIALS,
    url: world.infra.natsUrl,
    name: 'projection-test',
    logger: createLogger('test', 'silent'),
    timeoutMs: 3000,
  });
  // MESSAGES is message-api's, which this world does not run: the test declares it in its place
  // (chat-api's projection waits for it).
  await bus.ensureStreams([STREAMS.messages]);
  bus.nc.subscribe(noticeSubjects.all, {
    callback: (_err, msg) => {
      const parsed = unreadChangedEvent.safeParse(msg.json());
      if (parsed.success) unread.push(parsed.data);
    },
  });
});
afterAll(async () => {
  await bus?.drain();
  await world?.stop();
});

const oid = () => new Types.ObjectId().toHexString();

async function acceptedChat(): Promise<{ a: TestUser; b: TestUser; chatId: string }> {
  const a = newUser(world.edgeUrl);
  const b = newUser(world.edgeUrl);
  const chatId = (await a.http.post('/api/chats/or-create', { recipientId: b.id })).body.data._id as string;
  await b.http.post(`/api/chats/${chatId}/accept`);
  return { a, b, chatId };
}

/** Publishes to MESSAGES the way message-api does; a fresh JetStream msgID lets a test deliver the same event twice. */
async function publish(
  chatId: string,
  type: string,
  data: Record<string, unknown>,
  eventId: string = randomUUID(),
): Promise<string> {
  const event = { eventId, type, chatId, occurredAt: new Date().toISOString(), data };
  await bus.js.publish(messageSubjects.forEvent(event as never), JSON.stringify(event), { msgID: randomUUID() });
  return eventId;
}

// Per-chat change numbers as message-api hands them out: distinct and increasing (one counter
// for all chats is both). `seq` orders messages the same way.
let counter = 0;
const nextRev = () => ++counter;

function createdData(from: TestUser, to: TestUser, content: string, messageType: MessageType = 'text') {
  const n = nextRev();
  return {
    messageId: oid(),
    rev: n,
    seq: n,
    senderId: from.id,
    receiverId: to.id,
    content,
    messageType,
    media: messageType === 'text' ? null : { url: 'https://cdn.example/x', fileId: 'f1' },
    clientMessageId: randomUUID(),
    replyTo: null,
    createdAt: new Date().toISOString(),
  };
}

function created(chatId: string, from: TestUser, to: TestUser, content: string, messageType: MessageType = 'text') {
  return publish(chatId, 'created', createdData(from, to, content, messageType));
}

const readData = (reader: TestUser, messages: number) => ({
  rev: nextRev(),
  messageIds: Array.from({ length: messages }, oid),
  readBy: reader.id,
  timestamp: new Date().toISOString(),
});

/** Polls the chat (as `user`, through the edge) until `done` holds; the deadline only bounds a failing run. */
async function until(user: TestUser, chatId: string, done: (data: any) => boolean): Promise<any> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await user.http.get(`/api/chats/${chatId}`);
    if (res.status === 200 && done(res.body.data)) return res.body.data;
    if (Date.now() > deadline) throw new Error(`chat never reached the expected state: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const settle = () => new Promise((r) => setTimeout(r, 400));

/** The first unread_changed notice matching `match`, waiting for it (it is published after the write). */
async function notice(match: (u: UnreadChangedEvent) => boolean): Promise<UnreadChangedEvent | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = unread.find(match);
    if (found || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('projection of message events', () => {
  it('a new message sets lastMessage*, the receiver unread, both message counts, and publishes unread_changed without its text', async () => {
    const { a, b, chatId } = await acceptedChat();
    const text = 'x'.repeat(150);
    await created(chatId, a, b, text);
    const forB = await until(b, chatId, (d) => d.unreadCount === 1);
    expect(forB).toMatchObject({
      lastMessage: 'x'.repeat(100),
      lastMessageType: 'text',
      lastSenderId: a.id,
      messageCount: 1,
    });
    expect(forB.lastMessageAt).toEqual(expect.any(String));
    expect((await a.http.get(`/api/chats/${chatId}`)).body.data).toMatchObject({ unreadCount: 0, messageCount: 1 });
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.unreadCount).toEqual({ [b.id]: 1 });
    expect(doc!.messageCount).toEqual({ [a.id]: 1, [b.id]: 1 });
    expect((await notice((u) => u.chatId === chatId))?.data).toEqual({
      userId: b.id,
      unreadCount: 1,
      lastMessage: null,
      senderId: a.id,
    });
  });

  it('media messages show [IMAGE], [VIDEO] and [FILE]', async () => {
    const { a, b, chatId } = await acceptedChat();
    for (const [type, marker] of [
      ['image', '[IMAGE]'],
      ['video', '[VIDEO]'],
      ['file', '[FILE]'],
    ] as const) {
      await created(chatId, b, a, 'caption', type);
      await until(a, chatId, (d) => d.lastMessage === marker && d.lastMessageType === type);
    }
    expect((await a.http.get(`/api/chats/${chatId}`)).body.data).toMatchObject({
      unreadCount: 3,
      messageCount: 3,
      lastSenderId: b.id,
    });
  });

  it('delivering the same message event twice moves the counts once', async () => {
    const { a, b, chatId } = await acceptedChat();
    const hello = createdData(a, b, 'hello');
    const eventId = await publish(chatId, 'created', hello);
    await publish(chatId, 'created', hello, eventId);
    await created(chatId, a, b, 'marker'); // processed after both copies
    await until(b, chatId, (d) => d.lastMessage === 'marker');
    await settle();
    const data = (await b.http.get(`/api/chats/${chatId}`)).body.data;
    expect(data).toMatchObject({ unreadCount: 2, messageCount: 2 });
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.messageCount).toEqual({ [a.id]: 2, [b.id]: 2 });
    expect(doc!.unreadCount).toEqual({ [b.id]: 2 });
  });

  it('replaying older events after newer ones (a new id, the same rev) changes no counter', async () => {
    const { a, b, chatId } = await acceptedChat();
    const first = createdData(a, b, 'first');
    const second = createdData(a, b, 'second');
    await publish(chatId, 'created', first);
    await publish(chatId, 'created', second);
    const read = readData(b, 2);
    await publish(chatId, 'read', read);
    await until(b, chatId, (d) => d.unreadCount === 0 && d.messageCount === 2);
    // A replay of the stream: the same changes under fresh event ids, older first.
    await publish(chatId, 'created', first);
    await publish(chatId, 'read', read);
    await publish(chatId, 'created', second);
    await created(chatId, a, b, 'marker');
    await until(b, chatId, (d) => d.lastMessage === 'marker');
    await settle();
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.unreadCount).toEqual({ [b.id]: 1 });
    expect(doc!.messageCount).toEqual({ [a.id]: 3, [b.id]: 3 });
  });

  it('an older message delivered late counts but does not replace a newer preview', async () => {
    const { a, b, chatId } = await acceptedChat();
    const older = createdData(a, b, 'older');
    const newer = createdData(a, b, 'newer');
    await publish(chatId, 'created', newer);
    await publish(chatId, 'created', older); // message-api replicas publish out of order
    await until(b, chatId, (d) => d.unreadCount === 2);
    expect((await b.http.get(`/api/chats/${chatId}`)).body.data).toMatchObject({
      lastMessage: 'newer',
      messageCount: 2,
    });
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.lastMessageSeq).toBe(newer.seq);
  });

  it('remembers a bounded number of applied revs per chat, and ignores an event below the raised floor', async () => {
    const { a, b, chatId } = await acceptedChat();
    const skipped = nextRev(); // arrives far too late
    const total = REVS_KEPT + 5;
    for (let i = 0; i < total; i++) {
      nextRev(); // a rev this projection never sees (a reaction), so applied revs cannot fold into the floor
      await created(chatId, a, b, `n${i}`);
    }
    await until(b, chatId, (d) => d.unreadCount === total);
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.appliedRevs.revs).toHaveLength(REVS_KEPT);
    expect(doc!.appliedRevs.floor).toBeGreaterThan(skipped);
    expect(doc!.messageCount).toEqual({ [a.id]: total, [b.id]: total });
    // Far too late: treated as applied.
    await publish(chatId, 'created', { ...createdData(a, b, 'too late'), rev: skipped });
    await created(chatId, a, b, 'marker');
    await until(b, chatId, (d) => d.lastMessage === 'marker');
    expect((await b.http.get(`/api/chats/${chatId}`)).body.data.unreadCount).toBe(total + 1);
  });

  it('a read event takes the messages it marked off the reader unread count (replayed: unchanged) and publishes unread_changed', async () => {
    const { a, b, chatId } = await acceptedChat();
    for (let i = 0; i < 3; i++) await created(chatId, a, b, `m${i}`);
    await until(b, chatId, (d) => d.unreadCount === 3);
    const readId = randomUUID();
    const read = readData(b, 2);
    await publish(chatId, 'read', read, readId);
    await until(b, chatId, (d) => d.unreadCount === 1);
    await created(chatId, a, b, 'after read');
    await until(b, chatId, (d) => d.unreadCount === 2);
    await publish(chatId, 'read', read, readId); // a late redelivery must not roll the count back
    await created(chatId, a, b, 'marker');
    await until(b, chatId, (d) => d.lastMessage === 'marker');
    expect((await b.http.get(`/api/chats/${chatId}`)).body.data.unreadCount).toBe(3);
    expect(
      await notice((u) => u.chatId === chatId && u.data.userId === b.id && u.data.unreadCount === 1),
    ).toBeDefined();
  });

  it('a delete for everyone takes one from both counts and the receiver unread; for me only the deleter count', async () => {
    const { a, b, chatId } = await acceptedChat();
    for (let i = 0; i < 3; i++) await created(chatId, a, b, `m${i}`);
    await until(b, chatId, (d) => d.unreadCount === 3);
    const del = (over: Record<string, unknown>) =>
      publish(chatId, 'deleted', {
        messageId: oid(),
        rev: nextRev(),
        deletedBy: a.id,
        scope: 'everyone',
        senderId: a.id,
        receiverId: b.id,
        wasUnread: true,
        ...over,
      });
    await del({});
    await until(b, chatId, (d) => d.unreadCount === 2 && d.messageCount === 2);
    expect((await a.http.get(`/api/chats/${chatId}`)).body.data.messageCount).toBe(2);
    await del({ scope: 'me', deletedBy: a.id, wasUnread: false });
    await until(a, chatId, (d) => d.messageCount === 1);
    expect((await b.http.get(`/api/chats/${chatId}`)).body.data).toMatchObject({ messageCount: 2, unreadCount: 2 });
    // The receiver hides an unread message for themselves: their count and unread drop.
    await del({ scope: 'me', deletedBy: b.id, wasUnread: true });
    await until(b, chatId, (d) => d.messageCount === 1 && d.unreadCount === 1);
    expect(
      await notice((u) => u.chatId === chatId && u.data.userId === b.id && u.data.unreadCount === 1),
    ).toBeDefined();
  });

  it('a read that overtakes its created leaves the counts exact once the created lands, never shown below zero', async () => {
    const { a, b, chatId } = await acceptedChat();
    const message = createdData(a, b, 'relayed late');
    // The read of a message whose created is still in the outbox relay.
    await publish(chatId, 'read', { ...readData(b, 0), messageIds: [message.messageId] });
    await created(chatId, b, a, 'marker 1');
    await until(a, chatId, (d) => d.lastMessage === 'marker 1');
    expect((await until(b, chatId, () => true)).unreadCount).toBe(0); // stored -1, shown 0
    await publish(chatId, 'created', message);
    await created(chatId, b, a, 'marker 2');
    await until(a, chatId, (d) => d.lastMessage === 'marker 2');
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.unreadCount[b.id]).toBe(0);
    expect(doc!.messageCount).toEqual({ [a.id]: 3, [b.id]: 3 });
  });

  it('deleting the last message for everyone clears the preview; editing it updates the preview', async () => {
    const { a, b, chatId } = await acceptedChat();
    const id1 = oid();
    await publish(chatId, 'created', {
      messageId: id1,
      rev: 1,
      seq: 1,
      senderId: a.id,
      receiverId: b.id,
      content: 'secret',
      messageType: 'text',
      media: null,
      clientMessageId: 'c1',
      replyTo: null,
      createdAt: new Date().toISOString(),
    });
    await until(b, chatId, (d) => d.lastMessage === 'secret');
    await publish(chatId, 'edited', {
      messageId: id1,
      rev: 2,
      newContent: 'edited text',
      editedAt: new Date().toISOString(),
      editedBy: a.id,
    });
    await until(b, chatId, (d) => d.lastMessage === 'edited text');
    await publish(chatId, 'deleted', {
      messageId: id1,
      rev: 3,
      deletedBy: a.id,
      scope: 'everyone',
      senderId: a.id,
      receiverId: b.id,
      wasUnread: false,
    });
    await until(b, chatId, (d) => d.lastMessage === null && d.messageCount === 0);
  });

  it('a delete for everyone that overtakes its created (relayed late): the text never becomes the preview nor reaches a notice', async () => {
    const { a, b, chatId } = await acceptedChat();
    await created(chatId, a, b, 'before');
    await until(b, chatId, (d) => d.unreadCount === 1);
    const message = createdData(a, b, 'overtaken: the secret');
    await publish(chatId, 'deleted', {
      messageId: message.messageId,
      rev: nextRev(),
      deletedBy: a.id,
      scope: 'everyone',
      senderId: a.id,
      receiverId: b.id,
      wasUnread: true,
      createdAt: message.createdAt,
      seq: message.seq,
      messageType: 'text',
    });
    await publish(chatId, 'created', message);
    // Both applied: the delete made it the last message, the created brought the counts back.
    const stored = async () => (await world.storedChats({ _id: new Types.ObjectId(chatId) }))[0]!;
    await expect
      .poll(async () => {
        const doc = await stored();
        return { last: doc.lastMessageId, messages: doc.messageCount[b.id], unread: doc.unreadCount[b.id] };
      })
      .toEqual({ last: message.messageId, messages: 1, unread: 1 });
    expect(await stored()).toMatchObject({ lastMessage: null, lastMessageSeq: message.seq });
    expect(await until(b, chatId, () => true)).toMatchObject({
      lastMessage: null,
      lastMessageType: 'text',
      lastSenderId: a.id,
    });
    await settle();
    const notices = unread.filter((u) => u.chatId === chatId);
    expect(notices.length).toBeGreaterThan(0);
    expect(JSON.stringify(notices)).not.toContain('overtaken');
    expect(JSON.stringify(notices)).not.toContain('before');
  });

  it('a new message brings a deleted chat back for the user who deleted it, with only the new messages counted', async () => {
    const { a, b, chatId } = await acceptedChat();
    await created(chatId, a, b, 'old');
    await until(b, chatId, (d) => d.unreadCount === 1);
    expect((await b.http.delete(`/api/chats/${chatId}`)).status).toBe(200);
    expect((await b.http.get('/api/chats/active')).body.data.map((c: { _id: string }) => c._id)).not.toContain(chatId);
    const hidden = (await b.http.get(`/api/chats/${chatId}`)).body.data;
    expect(hidden).toMatchObject({ unreadCount: 0, messageCount: 0, lastMessage: null });
    await created(chatId, a, b, 'new');
    await until(b, chatId, (d) => d.lastMessage === 'new');
    const active = (await b.http.get('/api/chats/active')).body.data;
    expect(active.map((c: { _id: string }) => c._id)).toContain(chatId);
    expect(active.find((c: { _id: string }) => c._id === chatId)).toMatchObject({ unreadCount: 1, messageCount: 1 });
    expect((await a.http.get(`/api/chats/${chatId}`)).body.data.messageCount).toBe(2);
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.hiddenFor).toEqual([]);
  });

  it('active chats are ordered by their last message, newest first', async () => {
    const a = newUser(world.edgeUrl);
    const chats: string[] = [];
    const partners: TestUser[] = [];
    for (let i = 0; i < 3; i++) {
      const p = newUser(world.edgeUrl);
      partners.push(p);
      const id = (await a.http.post('/api/chats/or-create', { recipientId: p.id })).body.data._id as string;
      await p.http.post(`/api/chats/${id}/accept`);
      chats.push(id);
    }
    // Messages to the oldest chat last: it must come first.
    for (const i of [1, 2, 0]) {
      await created(chats[i]!, partners[i]!, a, `to ${i}`);
      await until(a, chats[i]!, (d) => d.lastMessage === `to ${i}`);
    }
    const list = (await a.http.get('/api/chats/active')).body.data.map((c: { _id: string }) => c._id);
    expect(list).toEqual([chats[0], chats[2], chats[1]]);
  });

  it('skips malformed events, unknown chats and non-participant senders without blocking the stream', async () => {
    const { a, b, chatId } = await acceptedChat();
    const stranger = newUser(world.edgeUrl);
    await bus.js.publish(
      messageSubjects.event(chatId, 'created', oid()),
      JSON.stringify({ type: 'created', chatId, nonsense: true }),
      { msgID: randomUUID() },
    );
    await bus.js.publish(messageSubjects.event(chatId, 'created', oid()), 'not json', { msgID: randomUUID() });
    await created(oid(), a, b, 'unknown chat');
    await created(chatId, stranger, b, 'from a stranger');
    await created(chatId, a, b, 'real');
    await until(b, chatId, (d) => d.lastMessage === 'real');
    expect((await b.http.get(`/api/chats/${chatId}`)).body.data).toMatchObject({ unreadCount: 1, messageCount: 1 });
  });
});

describe('concurrent writes to one chat', () => {
  it('archives by both users while messages arrive lose nothing (writes are serialized per chat)', async () => {
    const { a, b, chatId } = await acceptedChat();
    const sends = Array.from({ length: 10 }, (_, i) => created(chatId, a, b, `burst ${i}`));
    const [archA, archB] = await Promise.all([
      a.http.post(`/api/chats/${chatId}/archive`),
      b.http.post(`/api/chats/${chatId}/archive`),
      ...sends,
    ]);
    expect(archA.status).toBe(200);
    expect(archB.status).toBe(200);
    await until(b, chatId, (d) => d.unreadCount === 10);
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc!.archivedBy.map(String).sort()).toEqual([a.id, b.id].sort());
    expect(doc!.messageCount).toEqual({ [a.id]: 10, [b.id]: 10 });
    expect(doc!.unreadCount).toEqual({ [b.id]: 10 });
  });
});

describe('durable consumer', () => {
  it('catches up on events published while chat-api was stopped', async () => {
    const { a, b, chatId } = await acceptedChat();
    await created(chatId, a, b, 'before stop');
    await until(b, chatId, (d) => d.unreadCount === 1);
    await world.stopChatApi();
    for (let i = 0; i < 4; i++) await created(chatId, a, b, `while down ${i}`);
    await settle();
    // Nothing consumed them while stopped.
    const [whileDown] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(whileDown!.unreadCount[b.id]).toBe(1);
    await world.startChatApi();
    const data = await until(b, chatId, (d) => d.unreadCount === 5);
    expect(data).toMatchObject({ lastMessage: 'while down 3', messageCount: 5 });
    await settle();
    expect((await b.http.get(`/api/chats/${chatId}`)).body.data.unreadCount).toBe(5);
  });
});
