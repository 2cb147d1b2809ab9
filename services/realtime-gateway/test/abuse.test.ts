import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { clientEvents } from '@chat/contracts';
import { connectSocket, emitAck, newUserId, nextEvent, noEvent, tokenFor } from '@chat/testkit';
import { FakeBackend } from './support/fake-backend.js';
import { recordEvents, type TestNode } from './support/cluster.js';
import { startFakeCluster, type FakeCluster } from './support/fake-cluster.js';

const eventNames = Object.keys(clientEvents);

/** Payloads no client event accepts; the `victim` chat id is what an attacker would aim at. */
function malformedPayloads(victimChat: string, victimMessage: string): [string, unknown][] {
  return [
    ['no payload', undefined],
    ['null', null],
    ['a number', 42],
    ['a string', victimChat],
    ['an array', [victimChat]],
    ['a boolean', true],
    ['an empty object', {}],
    [
      '{"$ne": null} as the chat id',
      { chatId: { $ne: null }, messageId: { $ne: null }, content: 'x', emoji: '👍', messageIds: [{ $ne: null }] },
    ],
    ['{"$gt": ""} as the message id', { chatId: victimChat, messageId: { $gt: '' }, newContent: 'x', emoji: '👍' }],
    [
      'a __proto__ key carrying the chat id',
      JSON.parse(
        `{"__proto__": {"chatId": "${victimChat}", "messageId": "${victimMessage}"}, "content": "x", "emoji": "x"}`,
      ),
    ],
    [
      'a constructor.prototype key',
      JSON.parse(`{"constructor": {"prototype": {"chatId": "${victimChat}"}}, "content": "x"}`),
    ],
    [
      'wrong types',
      {
        chatId: 12345,
        messageId: true,
        content: { text: 'x' },
        newContent: ['x'],
        emoji: 7,
        messageIds: 'x',
        scope: 'all',
        messageType: 'exe',
        media: 'x',
      },
    ],
    ['binary data', Buffer.from('garbage')],
    ['a chat id with trailing garbage', { chatId: `${victimChat}x`, content: 'x' }],
  ];
}

describe('realtime-gateway: refusals and abuse limits', () => {
  let cluster: FakeCluster<'lenient' | 'strict' | 'strict2'>;
  let fake: FakeBackend;
  let lenient: TestNode;
  let strict: TestNode;
  let strict2: TestNode;
  const connect = (url: string, userId: string) => cluster.connect(url, userId);

  beforeAll(async () => {
    const strictEnv = {
      SOCKET_RATE_LIMIT_POINTS: '10',
      SOCKET_RATE_LIMIT_WINDOW_S: '5',
      SOCKET_GARBAGE_LIMIT: '5',
      SOCKET_FLOOD_LIMIT: '5',
      SOCKET_CUT_PENALTY_MS: '1500',
      SOCKET_MAX_ROOMS: '2',
      SOCKET_MAX_PAYLOAD_BYTES: '16384',
      SOCKET_MAX_PER_USER: '4',
    };
    cluster = await startFakeCluster({
      lenient: { SOCKET_RATE_LIMIT_POINTS: '100000', SOCKET_GARBAGE_LIMIT: '100000' },
      strict: strictEnv,
      strict2: strictEnv,
    });
    ({ fake } = cluster);
    ({ lenient, strict, strict2 } = cluster.nodes);
  });

  afterAll(() => cluster?.close());

  /** A chat between two other users, with a message in it, and one of them listening. */
  async function victims() {
    const alice = newUserId();
    const bob = newUserId();
    const chatId = fake.addChat(alice, bob);
    const listener = await connect(lenient.url, bob);
    await emitAck(listener, 'join_chat', { chatId });
    // The author's user_online comes on its own time: heard here, not later by a test's recorder.
    const authorOnline = nextEvent(listener, 'user_online');
    const author = await connect(lenient.url, alice);
    await authorOnline;
    const received = nextEvent(listener, 'message_received');
    const { messageId } = await emitAck(author, 'send_message', { chatId, content: 'victim message' });
    await received;
    return { chatId, messageId, listener };
  }

  it('every client event answers every malformed payload with VALIDATION; the node stays up and nobody else is touched', async () => {
    const { chatId, messageId, listener } = await victims();
    const heard = recordEvents(listener);
    const before = fake.snapshot();
    const callsBefore = fake.calls.length;
    const attackerId = newUserId();
    const attacker = await connect(lenient.url, attackerId);
    for (const event of eventNames) {
      for (const [what, payload] of malformedPayloads(chatId, messageId)) {
        const ack =
          payload === undefined
            ? await attacker.timeout(5_000).emitWithAck(event)
            : await emitAck(attacker, event, payload);
        // Where the junk sits in a field this event does not read (a valid chat id plus a bad
        // message id, for join_chat), the rest is a valid request for someone else's chat: FORBIDDEN
        // (or, for leave_chat, a harmless no-op).
        const valid = clientEvents[event as keyof typeof clientEvents].schema.safeParse(payload).success;
        if (valid && event === 'leave_chat') expect(ack).toEqual({ ok: true, chatId });
        else
          expect(ack, `${event} with ${what}`).toMatchObject({
            ok: false,
            code: valid ? 'FORBIDDEN' : 'VALIDATION',
            event,
            message: expect.any(String),
          });
      }
    }
    expect(attacker.connected).toBe(true);
    // Only well-formed requests reached chat-api or message-api, as the attacker; no message changed; the victims heard nothing.
    expect(fake.calls.slice(callsBefore).every((c) => c.userId === attackerId)).toBe(true);
    expect(fake.snapshot()).toBe(before);
    expect(heard).toEqual([]);
    expect(({} as Record<string, unknown>).chatId).toBeUndefined();
    // The node still serves.
    const other = await connect(lenient.url, newUserId());
    expect(await emitAck(other, 'leave_chat', { chatId })).toEqual({ ok: true, chatId });
  });

  it('an event with no payload and no ack still gets an error event', async () => {
    const s = await connect(lenient.url, newUserId());
    const err = nextEvent(s, 'error');
    s.emit('send_message');
    expect(await err).toMatchObject({ code: 'VALIDATION', event: 'send_message' });
  });

  it('a non-function ack argument is ignored', async () => {
    const s = await connect(lenient.url, newUserId());
    const err = nextEvent(s, 'error');
    s.emit('join_chat', { chatId: 'x' }, 'not-a-function', 42);
    expect(await err).toMatchObject({ code: 'VALIDATION', event: 'join_chat' });
    expect(s.connected).toBe(true);
  });

  it('content over the message limit is refused by message-api as VALIDATION and not stored', async () => {
    const { chatId } = await victims();
    const before = fake.snapshot();
    const alice = fake.chats.get(chatId)!.participants[0];
    const s = await connect(lenient.url, alice);
    expect(await emitAck(s, 'send_message', { chatId, content: 'x'.repeat(20_000) })).toMatchObject({
      ok: false,
      code: 'VALIDATION',
      event: 'send_message',
    });
    expect(await emitAck(s, 'send_message', { chatId, content: '   ' })).toMatchObject({
      ok: false,
      code: 'VALIDATION',
    });
    expect(fake.snapshot()).toBe(before);
  });

  it('unknown events are answered with an error and do not crash anything', async () => {
    const s = await connect(lenient.url, newUserId());
    const err = nextEvent(s, 'error');
    s.emit('__proto__', { chatId: 'x' });
    expect(await err).toMatchObject({ code: 'VALIDATION' });
    expect(await emitAck(s, 'no_such_event', { chatId: 'x' })).toMatchObject({
      ok: false,
      code: 'VALIDATION',
      event: 'no_such_event',
    });
    s.emit('constructor', {});
    s.emit('hasOwnProperty', {});
    expect(await emitAck(s, 'leave_chat', { chatId: 'a'.repeat(24) })).toMatchObject({ ok: true });
  });

  it('raw malformed Socket.IO packets (bad JSON, reserved event names, dangling binary placeholders) do not crash the node', async () => {
    const { listener } = await victims();
    const raw = async (body: string, sid?: string) => {
      const url = `${lenient.url}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${encodeURIComponent(sid)}` : ''}`;
      const res = await fetch(url, body ? { method: 'POST', body, headers: { 'content-type': 'text/plain' } } : {});
      return { status: res.status, text: await res.text() };
    };
    const garbage = [
      '42[',
      '42["disconnect"]',
      '42["connect_error",{}]',
      '42{"chatId":1}',
      '42[123456789,{"chatId":"x"}]',
      '451-["send_message",{"_placeholder":true,"num":7}]',
      '42["send_message",{"chatId":{"_placeholder":true,"num":0}}]',
      '4' + '2'.repeat(1000),
      '9999',
    ];
    for (const packet of garbage) {
      const handshake = await raw('');
      const { sid } = JSON.parse(handshake.text.slice(1)) as { sid: string };
      expect(sid.startsWith('lenient.')).toBe(true);
      await raw(`40${JSON.stringify({ token: tokenFor(newUserId()) })}`, sid);
      await raw(packet, sid);
    }
    // The node still serves, and the other users' sockets are untouched.
    expect(listener.connected).toBe(true);
    const s = await connect(lenient.url, newUserId());
    expect(await emitAck(s, 'leave_chat', { chatId: 'a'.repeat(24) })).toMatchObject({ ok: true });
  });

  it('a payload over the size limit closes only that connection; the node and other sockets go on', async () => {
    const { chatId, listener } = await victims();
    const s = await connect(strict.url, newUserId());
    const gone = nextEvent(s, 'disconnect');
    s.emit('send_message', { chatId, content: 'x'.repeat(1_000_000) });
    expect(await gone).toBe('transport close');
    expect(listener.connected).toBe(true);
    const again = await connect(strict.url, newUserId());
    expect(await emitAck(again, 'leave_chat', { chatId })).toEqual({ ok: true, chatId });
  });

  it('a socket that keeps sending garbage is disconnected, and its user is refused new sockets on every node for a while', async () => {
    const user = newUserId();
    const s = await connect(strict.url, user);
    const gone = nextEvent(s, 'disconnect');
    for (let i = 0; i < 5; i++) s.emit('join_chat', { chatId: { $ne: null } });
    expect(await gone).toBe('io server disconnect');
    for (const node of [strict, strict2]) {
      await expect(connect(node.url, user)).rejects.toMatchObject({
        message: expect.stringMatching(/Disconnected for abuse/),
        data: { code: 'RATE_LIMITED' },
      });
    }
    expect((await connect(strict.url, newUserId())).connected).toBe(true);
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await connect(strict.url, user)).connected).toBe(true);
  });

  it('a user over the event rate limit gets RATE_LIMITED, the budget shared by their sockets on every node', async () => {
    const user = newUserId();
    const onStrict = await connect(strict.url, user);
    const onStrict2 = await connect(strict2.url, user);
    const leave = (s: Socket) => emitAck(s, 'leave_chat', { chatId: 'b'.repeat(24) });
    const first = [
      ...(await Promise.all(Array.from({ length: 6 }, () => leave(onStrict)))),
      ...(await Promise.all(Array.from({ length: 4 }, () => leave(onStrict2)))),
    ];
    expect(first.every((a) => a.ok)).toBe(true);
    // Ten points in the window are spent: the next event is refused on either node.
    const err = nextEvent(onStrict2, 'error');
    expect(await leave(onStrict2)).toMatchObject({
      ok: false,
      code: 'RATE_LIMITED',
      event: 'leave_chat',
      message: expect.stringMatching(/Too many events/),
    });
    expect(await err).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await leave(onStrict)).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    // Another user is not affected.
    const other = await connect(strict.url, newUserId());
    expect((await leave(other)).ok).toBe(true);
  });

  it('a socket that keeps sending past its rate limit, not backing off, is disconnected', async () => {
    const s = await connect(strict.url, newUserId());
    const leave = () => emitAck(s, 'leave_chat', { chatId: 'c'.repeat(24) });
    expect((await Promise.all(Array.from({ length: 10 }, leave))).every((a) => a.ok)).toBe(true);
    const gone = nextEvent(s, 'disconnect');
    // Four refusals are tolerated (a client may be slow to see them); the fifth cuts the socket.
    for (let i = 0; i < 4; i++) expect(await leave()).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect(s.connected).toBe(true);
    s.emit('leave_chat', { chatId: 'c'.repeat(24) });
    expect(await gone).toBe('io server disconnect');
  });

  it('a socket may be in at most SOCKET_MAX_ROOMS chats at once', async () => {
    const user = newUserId();
    const chats = [fake.addChat(user, newUserId()), fake.addChat(user, newUserId()), fake.addChat(user, newUserId())];
    const s = await connect(strict.url, user);
    expect((await emitAck(s, 'join_chat', { chatId: chats[0] })).ok).toBe(true);
    expect((await emitAck(s, 'join_chat', { chatId: chats[1] })).ok).toBe(true);
    expect(await emitAck(s, 'join_chat', { chatId: chats[2] })).toMatchObject({
      ok: false,
      code: 'CONFLICT',
      event: 'join_chat',
    });
    expect((await emitAck(s, 'join_chat', { chatId: chats[1] })).ok).toBe(true); // already in: fine
    await emitAck(s, 'leave_chat', { chatId: chats[0] });
    expect((await emitAck(s, 'join_chat', { chatId: chats[2] })).ok).toBe(true);
  });

  it('a user may hold at most SOCKET_MAX_PER_USER sockets over every node; one more is refused until one goes', async () => {
    const user = newUserId();
    const held = [
      await connect(strict.url, user),
      await connect(strict2.url, user),
      await connect(strict.url, user),
      await connect(strict2.url, user),
    ];
    await expect(connectSocket(strict.url, tokenFor(user))).rejects.toThrow(/Too many connections/);
    await expect(connectSocket(strict2.url, tokenFor(user))).rejects.toThrow(/Too many connections/);
    // Another user is not affected.
    expect((await connect(strict.url, newUserId())).connected).toBe(true);
    held[0]!.close();
    await expect
      .poll(
        async () =>
          connectSocket(strict.url, tokenFor(user)).then(
            (s) => (cluster.track(s), true),
            () => false,
          ),
        {
          timeout: 5_000,
        },
      )
      .toBe(true);
  });

  it('a dependency that does not answer becomes UNAVAILABLE, not a hang', async () => {
    const { chatId } = await victims();
    await fake.close();
    try {
      const s = await connect(lenient.url, newUserId());
      expect(await emitAck(s, 'join_chat', { chatId }, 10_000)).toMatchObject({
        ok: false,
        code: 'UNAVAILABLE',
        event: 'join_chat',
      });
      expect(await noEvent(s, 'join_chat_success', 100)).toBe(true);
    } finally {
      fake = cluster.fake = await FakeBackend.start(cluster.infra.natsUrl);
    }
  });
});
