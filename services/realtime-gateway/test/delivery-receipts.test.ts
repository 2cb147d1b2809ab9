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
} from '@chat/testkit';
import { startNode, type TestNode } from './support/cluster.js';

/**
 * Delivery receipts (docs/api-guide.md, "Delivery receipts") end to end: the real chat-api and
 * message-api as processes, two gateway nodes; alice on one node, bob on the other.
 */
describe('mark_as_delivered across two gateway nodes', () => {
  let infra: TestInfra;
  let chatApi: SpawnedService;
  let messageApi: SpawnedService;
  const nodes: TestNode[] = [];
  const sockets: Socket[] = [];
  const alice = newUserId();
  const bob = newUserId();
  let chatId: string;
  let a: Socket; // alice, on gw1
  let b: Socket; // bob, on gw2

  const connect = async (node: TestNode, userId: string) => {
    const s = await connectSocket(node.url, tokenFor(userId));
    sockets.push(s);
    return s;
  };
  const history = async (userId: string, chat = chatId) => {
    const res = await api(messageApi.url, tokenFor(userId)).get(`/api/chats/${chat}/messages?limit=100`);
    expect(res.status).toBe(200);
    return new Map<string, any>(res.body.data.map((m: any) => [m._id, m]));
  };
  const openChat = async (from: string, to: string) => {
    const created = await api(chatApi.url, tokenFor(from)).post('/api/chats/or-create', { recipientId: to });
    expect(created.status).toBe(201);
    const id = created.body.data._id as string;
    expect((await api(chatApi.url, tokenFor(to)).post(`/api/chats/${id}/accept`)).status).toBe(200);
    return id;
  };
  /** A message from alice that bob's socket has received. */
  const fromAlice = async (content: string) => {
    const received = nextEvent(b, 'message_received', 5_000, (p) => p.content === content);
    const ack = await emitAck(a, 'send_message', { chatId, content });
    expect(ack.ok).toBe(true);
    await received;
    return ack.messageId as string;
  };

  beforeAll(async () => {
    infra = await startTestInfra();
    [chatApi, messageApi] = await Promise.all([
      spawnService('chat-api', infra.env, { readyTimeoutMs: 45_000 }),
      spawnService('message-api', infra.env, { readyTimeoutMs: 45_000 }),
    ]);
    nodes.push(await startNode(infra, 'gw1'), await startNode(infra, 'gw2'));
    chatId = await openChat(alice, bob);
    a = await connect(nodes[0]!, alice);
    b = await connect(nodes[1]!, bob);
    for (const s of [a, b]) expect((await emitAck(s, 'join_chat', { chatId })).ok).toBe(true);
  }, 90_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all([chatApi, messageApi].map((s) => s?.stop('SIGKILL')));
    await infra?.stop();
  });

  let delivered: string[];
  it('the receiver gets delivered_success and the sender, on the other node, messages_delivered; history shows deliveredTo', async () => {
    delivered = [await fromAlice('one'), await fromAlice('two')];
    const heard = nextEvent(a, 'messages_delivered');
    const success = nextEvent(b, 'delivered_success');
    const ack = await emitAck(b, 'mark_as_delivered', { chatId, messageIds: delivered });
    expect(ack.ok).toBe(true);
    expect([...ack.messageIds].sort()).toEqual([...delivered].sort());
    expect([...(await success).messageIds].sort()).toEqual([...delivered].sort());
    const event = await heard;
    expect(event).toEqual({
      messageIds: expect.arrayContaining(delivered),
      deliveredTo: bob,
      chatId,
      timestamp: expect.any(String),
      rev: expect.any(Number),
      revs: expect.any(Array),
    });
    expect(event.messageIds).toHaveLength(2);
    // One rev per message recorded, the highest as `rev`: a client sees no gap in them.
    expect(event.revs).toHaveLength(2);
    expect(Math.max(...event.revs!)).toBe(event.rev);

    const shown = await history(alice);
    for (const id of delivered) {
      expect(shown.get(id).deliveredTo).toEqual([{ userId: bob, deliveredAt: event.timestamp }]);
      expect(shown.get(id).readBy).toEqual([]);
    }
    // The broadcast's rev is the newest of the messages' revs: a client keeping revs applies it.
    expect(Math.max(...delivered.map((id) => shown.get(id).rev))).toBe(event.rev);
  });

  it('a repeat records nothing and broadcasts nothing', async () => {
    const before = await history(alice);
    const quiet = noEvent(a, 'messages_delivered', 800);
    expect(await emitAck(b, 'mark_as_delivered', { chatId, messageIds: delivered })).toEqual({
      ok: true,
      messageIds: [],
    });
    expect(await quiet).toBe(true);
    expect(await history(alice)).toEqual(before);
  });

  it("ids of the caller's own messages, of another chat and unknown ids are ignored", async () => {
    const own = (await emitAck(b, 'send_message', { chatId, content: 'from bob' })).messageId;
    const carol = newUserId();
    const otherChat = await openChat(alice, carol);
    const c = await connect(nodes[0]!, carol);
    const foreign = (await emitAck(c, 'send_message', { chatId: otherChat, content: 'for alice only' })).messageId;

    const quiet = noEvent(a, 'messages_delivered', 800);
    expect(await emitAck(b, 'mark_as_delivered', { chatId, messageIds: [own, foreign, newUserId()] })).toEqual({
      ok: true,
      messageIds: [],
    });
    expect(await quiet).toBe(true);
    expect((await history(alice)).get(own).deliveredTo).toEqual([]);
    expect((await history(alice, otherChat)).get(foreign).deliveredTo).toEqual([]);
    // Nor can the sender mark their own message delivered to themselves.
    const mine = await fromAlice('three');
    expect(await emitAck(a, 'mark_as_delivered', { chatId, messageIds: [mine] })).toEqual({ ok: true, messageIds: [] });
  });

  it('a non-participant, or a user of another chat, gets what mark_as_read answers them, and nothing changes', async () => {
    const target = await fromAlice('not for strangers');
    const before = await history(alice);
    const stranger = await connect(nodes[1]!, newUserId());
    const carol = newUserId();
    const carolsChat = await openChat(carol, newUserId());
    const c = await connect(nodes[0]!, carol);
    const quiet = noEvent(a, 'messages_delivered', 800);
    for (const s of [stranger, c]) {
      const read = await emitAck(s, 'mark_as_read', { chatId, messageIds: [target] });
      const refused = await emitAck(s, 'mark_as_delivered', { chatId, messageIds: [target] });
      expect(read).toMatchObject({ ok: false, code: 'FORBIDDEN', event: 'mark_as_read' });
      expect(refused).toEqual({ ...read, event: 'mark_as_delivered' });
    }
    // Through a chat of their own, another chat's message is simply not theirs.
    expect(await emitAck(c, 'mark_as_delivered', { chatId: carolsChat, messageIds: [target] })).toEqual({
      ok: true,
      messageIds: [],
    });
    expect(await quiet).toBe(true);
    expect(await history(alice)).toEqual(before);
  });

  it('malformed payloads are refused with VALIDATION and an error event; the socket stays and nothing changes', async () => {
    const target = await fromAlice('keep me undelivered');
    const before = await history(alice);
    const attacker = await connect(nodes[1]!, bob); // a participant, so only the payload is wrong
    const payloads: unknown[] = [
      null,
      42,
      'x',
      [chatId],
      {},
      { chatId },
      { messageIds: [target] },
      { chatId, messageIds: [] },
      { chatId, messageIds: target },
      { chatId, messageIds: ['not-an-id'] },
      { chatId, messageIds: [{ $gt: '' }] },
      { chatId: { $ne: null }, messageIds: [target] },
      { chatId, messageIds: Array.from({ length: 501 }, () => target) },
    ];
    const quiet = noEvent(a, 'messages_delivered', 800);
    for (const payload of payloads) {
      const error = nextEvent(attacker, 'error');
      const ack = await emitAck(attacker, 'mark_as_delivered', payload);
      expect(ack, JSON.stringify(payload)?.slice(0, 60)).toMatchObject({
        ok: false,
        code: 'VALIDATION',
        event: 'mark_as_delivered',
        message: expect.any(String),
      });
      expect(await error).toMatchObject({ code: 'VALIDATION', event: 'mark_as_delivered' });
      // Keep under the garbage limit (10 in 10 s): this test is not about being cut off.
      if (payloads.indexOf(payload) === 8) await new Promise((r) => setTimeout(r, 10_500));
    }
    expect(attacker.connected).toBe(true);
    expect(await quiet).toBe(true);
    expect(await history(alice)).toEqual(before);
    // 500 ids is allowed.
    const most = [target, ...Array.from({ length: 499 }, () => newUserId())];
    expect(await emitAck(attacker, 'mark_as_delivered', { chatId, messageIds: most })).toEqual({
      ok: true,
      messageIds: [target],
    });
  }, 30_000);

  it('a read message counts as delivered: no new record, no broadcast, and history shows it delivered when read', async () => {
    const target = await fromAlice('read before delivered');
    const read = nextEvent(a, 'messages_read');
    expect(await emitAck(b, 'mark_as_read', { chatId, messageIds: [target] })).toEqual({
      ok: true,
      messageIds: [target],
    });
    const { timestamp } = await read;
    const quiet = noEvent(a, 'messages_delivered', 800);
    expect(await emitAck(b, 'mark_as_delivered', { chatId, messageIds: [target] })).toEqual({
      ok: true,
      messageIds: [],
    });
    expect(await quiet).toBe(true);
    expect((await history(alice)).get(target).deliveredTo).toEqual([{ userId: bob, deliveredAt: timestamp }]);
  });

  it('is rate limited like every other event', async () => {
    const flooder = newUserId();
    const own = await openChat(flooder, newUserId());
    const s = await connect(nodes[0]!, flooder);
    const acks = await Promise.all(
      Array.from({ length: 40 }, () => emitAck(s, 'mark_as_delivered', { chatId: own, messageIds: [newUserId()] })),
    );
    const limited = acks.filter((x) => !x.ok);
    expect(limited.length).toBeGreaterThan(0);
    for (const x of limited) expect(x).toMatchObject({ code: 'RATE_LIMITED', event: 'mark_as_delivered' });
    expect(acks.filter((x) => x.ok).every((x) => x.messageIds.length === 0)).toBe(true);
  });
});
