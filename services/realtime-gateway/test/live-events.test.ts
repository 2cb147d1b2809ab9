import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitAck, newUserId } from '@chat/testkit';
import { startFakeCluster, type FakeCluster } from './support/fake-cluster.js';
import { recordEvents, sleep, eventually } from './support/cluster.js';

/**
 * Live fan-out on core NATS: a node hears the events of the rooms its own sockets are in and
 * emits them to those sockets only. So each socket gets an event once, whichever node its peer
 * is on, and a node whose sockets left a chat stops hearing it.
 */
describe('live events on core NATS', () => {
  let cluster: FakeCluster<'gw1' | 'gw2'>;
  const env = { SOCKET_RATE_LIMIT_POINTS: '1000' };

  beforeAll(async () => {
    cluster = await startFakeCluster({ gw1: env, gw2: env });
  });
  afterAll(() => cluster?.close());

  const edits = (log: { event: string; payload: any }[], messageId: string) =>
    log.filter((e) => e.event === 'message_edited' && e.payload.messageId === messageId).length;

  it('each socket in the room gets an event exactly once, with sockets of the chat on both nodes and two on one', async () => {
    const [alice, bob] = [newUserId(), newUserId()];
    const chatId = cluster.fake.addChat(alice, bob);
    const sockets = [
      await cluster.connect(cluster.nodes.gw1.url, alice),
      await cluster.connect(cluster.nodes.gw2.url, bob),
      await cluster.connect(cluster.nodes.gw2.url, bob),
    ];
    const logs = sockets.map(recordEvents);
    for (const s of sockets) expect(await emitAck(s, 'join_chat', { chatId })).toMatchObject({ ok: true });
    // Published right after the joins were acknowledged: an ack means the node hears the chat.
    const messageId = await cluster.fake.probeRoom(chatId);
    await eventually(() => logs.every((log) => edits(log, messageId) === 1));
    await sleep(300);
    expect(logs.map((log) => edits(log, messageId))).toEqual([1, 1, 1]);
  });

  it('a socket that left the chat gets none of its events while its peer on the other node does; joining again subscribes again', async () => {
    const [alice, bob] = [newUserId(), newUserId()];
    const chatId = cluster.fake.addChat(alice, bob);
    const a = await cluster.connect(cluster.nodes.gw1.url, alice);
    const b = await cluster.connect(cluster.nodes.gw2.url, bob);
    const [aLog, bLog] = [recordEvents(a), recordEvents(b)];
    for (const s of [a, b]) expect(await emitAck(s, 'join_chat', { chatId })).toMatchObject({ ok: true });
    expect(await emitAck(b, 'leave_chat', { chatId })).toMatchObject({ ok: true });
    const messageId = await cluster.fake.probeRoom(chatId);
    await eventually(() => edits(aLog, messageId) === 1);
    await sleep(300);
    expect(edits(bLog, messageId)).toBe(0);
    // Joining again subscribes again.
    expect(await emitAck(b, 'join_chat', { chatId })).toMatchObject({ ok: true });
    const again = await cluster.fake.probeRoom(chatId);
    await eventually(() => edits(bLog, again) === 1 && edits(aLog, again) === 1);
  });
});
