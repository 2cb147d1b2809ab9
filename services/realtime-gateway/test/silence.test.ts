import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import {
  api,
  connectSocket,
  emitAck,
  newUserId,
  nextEvent,
  noEvent,
  spawnService,
  startTestInfra,
  tokenFor,
  type SpawnedService,
  type TestInfra,
  INVISIBLE_CONTENT,
} from '@chat/testkit';
import { recordEvents, startNode, type TestNode } from './support/cluster.js';

/**
 * Issue 21, items 12 and 13 end to end: the real chat-api and message-api as processes, two
 * gateway nodes, one user on each. A blocked or rejected chat is silent towards the other side
 * (receipts, typing, presence), a user who hid a message or deleted the chat hears no edit or
 * reaction of it, and text that looks empty or turns the text around it is refused.
 */
/** A typist silent this long is stopped (`user_stop_typing`). */
const TYPING_TIMEOUT_MS = 2_000;

describe('blocked and hidden mean silent; invisible content is refused', () => {
  let infra: TestInfra;
  let chatApi: SpawnedService;
  let messageApi: SpawnedService;
  const nodes: TestNode[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    infra = await startTestInfra();
    [chatApi, messageApi] = await Promise.all([
      spawnService('chat-api', infra.env, { readyTimeoutMs: 45_000 }),
      spawnService('message-api', infra.env, { readyTimeoutMs: 45_000 }),
    ]);
    // Polling `typing` until a room exit lands costs events: a budget that never refuses one.
    const env = { SOCKET_RATE_LIMIT_POINTS: '1000', TYPING_TIMEOUT_MS: String(TYPING_TIMEOUT_MS) };
    nodes.push(await startNode(infra, 'gw1', env), await startNode(infra, 'gw2', env));
  }, 90_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all([chatApi, messageApi].map((s) => s?.stop('SIGKILL')));
    await infra?.stop();
  });

  const connect = async (node: TestNode, userId: string) => {
    const s = await connectSocket(node.url, tokenFor(userId));
    sockets.push(s);
    return s;
  };
  const chats = (userId: string) => api(chatApi.url, tokenFor(userId));
  const request = async (from: string, to: string) => {
    const created = await chats(from).post('/api/chats/or-create', { recipientId: to });
    expect(created.status).toBe(201);
    return created.body.data._id as string;
  };
  const openChat = async (from: string, to: string) => {
    const id = await request(from, to);
    expect((await chats(to).post(`/api/chats/${id}/accept`)).status).toBe(200);
    return id;
  };
  const join = async (s: Socket, chatId: string) =>
    expect(await emitAck(s, 'join_chat', { chatId })).toMatchObject({ ok: true, chatId });
  const history = async (userId: string, chatId: string) => {
    const res = await api(messageApi.url, tokenFor(userId)).get(`/api/chats/${chatId}/messages?limit=100`);
    expect(res.status).toBe(200);
    return res.body.data as { _id: string; content: string; isEdited: boolean }[];
  };
  /** `from` sends `content`; resolves once `to`'s socket has it. */
  const sendSeen = async (from: Socket, to: Socket, chatId: string, content: string) => {
    const received = nextEvent(to, 'message_received', 5_000, (p) => p.content === content);
    const ack = await emitAck(from, 'send_message', { chatId, content });
    expect(ack).toMatchObject({ ok: true });
    await received;
    return ack.messageId as string;
  };
  /**
   * Resolves once chat-api's chat event has taken `s` out of the chat's room (the room exit
   * runs on the gateway's durable consumer, a moment after the REST call): typing then
   * answers "join first" rather than anything else.
   */
  const outOfRoom = (s: Socket, chatId: string) =>
    expect
      .poll(async () => (await emitAck(s, 'typing', { chatId })).message, { timeout: 10_000 })
      .toMatch(/Join the chat/);

  describe('a blocked or rejected chat', () => {
    it('after a block, both may join the room again, yet only the reader hears their own read and delivery receipts', async () => {
      const [alice, bob] = [newUserId(), newUserId()];
      const chatId = await openChat(alice, bob);
      const a = await connect(nodes[0]!, alice);
      const b = await connect(nodes[1]!, bob);
      for (const s of [a, b]) await join(s, chatId);
      const m1 = await sendSeen(a, b, chatId, 'one');
      const m2 = await sendSeen(a, b, chatId, 'two');

      expect((await chats(bob).post(`/api/chats/${chatId}/block`)).status).toBe(200);
      for (const s of [a, b]) await outOfRoom(s, chatId);
      // Reading stays open in a blocked chat, and so does its room.
      for (const s of [a, b]) await join(s, chatId);
      const aliceHears = recordEvents(a);

      const delivered = nextEvent(b, 'messages_delivered', 5_000);
      expect(await emitAck(b, 'mark_as_delivered', { chatId, messageIds: [m1] })).toEqual({
        ok: true,
        messageIds: [m1],
      });
      const ownDelivery = await delivered;
      expect(ownDelivery).toMatchObject({ chatId, deliveredTo: bob, messageIds: [m1] });
      // The internal audience list never reaches a client.
      expect(ownDelivery).not.toHaveProperty('hiddenFrom');

      const read = nextEvent(b, 'messages_read', 5_000);
      expect(await emitAck(b, 'mark_as_read', { chatId, messageIds: [m1, m2] })).toMatchObject({ ok: true });
      const ownRead = await read;
      expect(ownRead).toMatchObject({ chatId, readBy: bob });
      expect(ownRead).not.toHaveProperty('hiddenFrom');

      // Neither side may type; nobody hears a typing event.
      for (const s of [a, b])
        expect(await emitAck(s, 'typing', { chatId })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await noEvent(b, 'user_typing', 300)).toBe(true);
      expect(
        aliceHears.filter((e) => ['messages_read', 'messages_delivered', 'user_typing'].includes(e.event)),
      ).toEqual([]);
    });

    it('typing under way when the chat is blocked ends without a word to the other side, whether the typist joins again or not', async () => {
      const [alice, bob] = [newUserId(), newUserId()];
      const chatId = await openChat(alice, bob);
      const a1 = await connect(nodes[0]!, alice);
      const a2 = await connect(nodes[1]!, alice);
      const b = await connect(nodes[1]!, bob);
      for (const s of [a1, a2, b]) await join(s, chatId);
      const typing = nextEvent(b, 'user_typing', 5_000, (p) => p.userId === alice);
      for (const s of [a1, a2]) expect(await emitAck(s, 'typing', { chatId })).toEqual({ ok: true });
      await typing;
      const typedAt = Date.now();

      expect((await chats(bob).post(`/api/chats/${chatId}/block`)).status).toBe(200);
      for (const s of [a1, b]) await outOfRoom(s, chatId);
      // a1 opens the chat again, a2 does not; bob is in the room to hear anything said there.
      for (const s of [a1, b]) await join(s, chatId);
      expect(Date.now() - typedAt).toBeLessThan(TYPING_TIMEOUT_MS);
      expect(await noEvent(b, 'user_stop_typing', TYPING_TIMEOUT_MS + 500)).toBe(true);
    });

    it('after a rejection, the requester hears nothing of the recipient reading their request', async () => {
      const [alice, bob] = [newUserId(), newUserId()];
      const chatId = await request(alice, bob);
      const a = await connect(nodes[0]!, alice);
      const b = await connect(nodes[1]!, bob);
      for (const s of [a, b]) await join(s, chatId);
      const m = await sendSeen(a, b, chatId, 'may I?');
      expect((await chats(bob).post(`/api/chats/${chatId}/reject`)).status).toBe(200);
      for (const s of [a, b]) await outOfRoom(s, chatId);
      for (const s of [a, b]) await join(s, chatId);
      const aliceHears = recordEvents(a);

      const read = nextEvent(b, 'messages_read', 5_000);
      const delivered = nextEvent(b, 'messages_delivered', 5_000);
      await emitAck(b, 'mark_as_delivered', { chatId, messageIds: [m] });
      await emitAck(b, 'mark_as_read', { chatId, messageIds: [m] });
      expect(await delivered).toMatchObject({ deliveredTo: bob });
      expect(await read).toMatchObject({ readBy: bob });
      await noEvent(a, 'messages_read', 300);
      expect(aliceHears.filter((e) => e.event.startsWith('messages_'))).toEqual([]);
    });

    it('a user going offline and online is told to a contact, never to the other side of a blocked chat, even in its room', async () => {
      const [alice, bob, carol] = [newUserId(), newUserId(), newUserId()];
      const blocked = await openChat(alice, bob);
      const friendly = await openChat(alice, carol);
      const a = await connect(nodes[0]!, alice);
      const b = await connect(nodes[1]!, bob);
      const c = await connect(nodes[1]!, carol);
      for (const s of [a, b]) await join(s, blocked);
      for (const s of [a, c]) await join(s, friendly);
      expect((await chats(alice).post(`/api/chats/${blocked}/block`)).status).toBe(200);
      for (const s of [a, b]) await outOfRoom(s, blocked);
      await join(b, blocked);
      const bobHears = recordEvents(b);

      const carolHearsOff = nextEvent(c, 'user_offline', 5_000, (p) => p.userId === alice);
      a.close();
      expect(await carolHearsOff).toMatchObject({ userId: alice, chatId: friendly });
      const carolHearsOn = nextEvent(c, 'user_online', 5_000, (p) => p.userId === alice);
      await connect(nodes[0]!, alice);
      expect(await carolHearsOn).toMatchObject({ userId: alice, chatId: friendly });
      await noEvent(b, 'user_online', 300);
      expect(bobHears.filter((e) => e.event.startsWith('user_'))).toEqual([]);
    });
  });

  describe('a message hidden by a participant', () => {
    it('a user who hid a message hears no edit or reaction of it; the other participant does', async () => {
      const [alice, bob] = [newUserId(), newUserId()];
      const chatId = await openChat(alice, bob);
      const a = await connect(nodes[0]!, alice);
      const b = await connect(nodes[1]!, bob);
      for (const s of [a, b]) await join(s, chatId);
      const hidden = await sendSeen(a, b, chatId, 'hide me');
      const shown = await sendSeen(a, b, chatId, 'keep me');
      expect(await emitAck(b, 'delete_message', { chatId, messageId: hidden, scope: 'me' })).toMatchObject({
        ok: true,
      });
      const bobHears = recordEvents(b);

      const aliceEdit = nextEvent(a, 'message_edited', 5_000, (p) => p.messageId === hidden);
      const aliceAdd = nextEvent(a, 'reaction_added', 5_000, (p) => p.messageId === hidden);
      const aliceRemove = nextEvent(a, 'reaction_removed', 5_000, (p) => p.messageId === hidden);
      await emitAck(a, 'edit_message', { chatId, messageId: hidden, newContent: 'hidden, edited' });
      await emitAck(a, 'add_reaction', { chatId, messageId: hidden, emoji: '👍' });
      await emitAck(a, 'remove_reaction', { chatId, messageId: hidden, emoji: '👍' });
      expect(await aliceEdit).toMatchObject({ newContent: 'hidden, edited' });
      expect(await aliceEdit).not.toHaveProperty('hiddenFrom');
      await Promise.all([aliceAdd, aliceRemove]);

      // The chat's events reach a node in order: once bob hears this later edit, he missed none.
      const bobHearsShown = nextEvent(b, 'message_edited', 5_000, (p) => p.messageId === shown);
      await emitAck(a, 'edit_message', { chatId, messageId: shown, newContent: 'kept, edited' });
      await bobHearsShown;
      expect(bobHears.filter((e) => e.payload?.messageId === hidden)).toEqual([]);
    });

    it('a user who deleted the chat hears no edit or reaction of the messages before it, and does of newer ones', async () => {
      const [alice, bob] = [newUserId(), newUserId()];
      const chatId = await openChat(alice, bob);
      const a = await connect(nodes[0]!, alice);
      const b = await connect(nodes[1]!, bob);
      for (const s of [a, b]) await join(s, chatId);
      const old = await sendSeen(a, b, chatId, 'before the delete');
      expect((await chats(bob).delete(`/api/chats/${chatId}`)).status).toBe(200);
      await outOfRoom(b, chatId);
      // bob's client opens the chat again (a new message from alice brings it back anyway).
      await join(b, chatId);
      const bobHears = recordEvents(b);

      const aliceHearsOld = nextEvent(a, 'reaction_added', 5_000, (p) => p.messageId === old);
      await emitAck(a, 'edit_message', { chatId, messageId: old, newContent: 'old, edited' });
      await emitAck(a, 'add_reaction', { chatId, messageId: old, emoji: '🎉' });
      await aliceHearsOld;

      const fresh = await sendSeen(a, b, chatId, 'after the delete');
      const bobHearsFresh = nextEvent(b, 'message_edited', 5_000, (p) => p.messageId === fresh);
      await emitAck(a, 'edit_message', { chatId, messageId: fresh, newContent: 'after, edited' });
      await bobHearsFresh;
      expect(bobHears.filter((e) => e.payload?.messageId === old)).toEqual([]);
    });
  });

  describe('invisible or spoofing content', () => {
    it.each(Object.entries(INVISIBLE_CONTENT))(
      'send_message and edit_message of %s are refused with VALIDATION and nothing is stored',
      async (_name, text) => {
        const [alice, bob] = [newUserId(), newUserId()];
        const chatId = await openChat(alice, bob);
        const a = await connect(nodes[0]!, alice);
        const b = await connect(nodes[1]!, bob);
        for (const s of [a, b]) await join(s, chatId);
        const original = await sendSeen(a, b, chatId, 'original');
        const bobHears = recordEvents(b);

        const error = nextEvent(a, 'error', 5_000, (p) => p.event === 'send_message');
        expect(await emitAck(a, 'send_message', { chatId, content: text })).toMatchObject({
          ok: false,
          code: 'VALIDATION',
          event: 'send_message',
        });
        expect(await error).toMatchObject({ code: 'VALIDATION' });
        expect(await emitAck(a, 'edit_message', { chatId, messageId: original, newContent: text })).toMatchObject({
          ok: false,
          code: 'VALIDATION',
          event: 'edit_message',
        });
        expect((await history(alice, chatId)).map((m) => [m.content, m.isEdited])).toEqual([['original', false]]);
        expect(bobHears.filter((e) => ['message_received', 'message_edited'].includes(e.event))).toEqual([]);
      },
    );
  });
});
