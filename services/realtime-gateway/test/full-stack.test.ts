import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { connectReconnecting, eventually } from './support/cluster.js';

/** The smallest valid PNG: media-service sniffs types from bytes. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100e5270de40000000049454e44ae426082',
  'hex',
);
const PRESENCE_TTL_MS = 1500;
/** Six processes start at once, maybe beside other test files: allow them time. */
const slow = { readyTimeoutMs: 45_000 };

/**
 * The real stack, every service a process: chat-api, message-api, media-service, two
 * gateway nodes and the edge in front. Clients go through the edge (long-polling first,
 * then the WebSocket upgrade, routed by the node prefix of the session id) and directly.
 */
describe('realtime-gateway with the real services, two nodes behind the edge', () => {
  let infra: TestInfra;
  let mediaDir: string;
  const services: Record<string, SpawnedService> = {};
  const gateways: Record<'gw1' | 'gw2', SpawnedService> = {} as never;
  let edge: string;
  const sockets: Socket[] = [];
  const alice = newUserId();
  const bob = newUserId();
  const aliceToken = tokenFor(alice);
  const bobToken = tokenFor(bob);
  let chatId: string;
  let a: Socket; // alice, through the edge
  let b: Socket; // bob, directly on the other node

  const gatewayEnv = (id: string) => ({
    ...infra.env,
    GATEWAY_NODE_ID: id,
    PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
    DRAIN_TIMEOUT_MS: '3000',
  });
  const nodeOf = (s: Socket) => s.io.engine.id.split('.')[0] as 'gw1' | 'gw2';
  const otherNode = (id: 'gw1' | 'gw2') => (id === 'gw1' ? 'gw2' : 'gw1');
  const track = (s: Socket) => (sockets.push(s), s);

  beforeAll(async () => {
    infra = await startTestInfra();
    mediaDir = mkdtempSync(join(tmpdir(), 'gw-media-'));
    const [chat, message, media, gw1, gw2] = await Promise.all([
      spawnService('chat-api', infra.env, slow),
      spawnService('message-api', infra.env, slow),
      spawnService('media-service', { ...infra.env, MEDIA_STORAGE_DIR: mediaDir }, slow),
      spawnService('realtime-gateway', gatewayEnv('gw1'), slow),
      spawnService('realtime-gateway', gatewayEnv('gw2'), slow),
    ]);
    Object.assign(services, { chat, message, media });
    Object.assign(gateways, { gw1, gw2 });
    services.edge = await spawnService('edge', {
      ...infra.env,
      CHAT_API_URL: chat!.url,
      MESSAGE_API_URL: message!.url,
      MEDIA_SERVICE_URL: media!.url,
      GATEWAY_NODES: `gw1=${gw1!.url},gw2=${gw2!.url}`,
    });
    edge = services.edge.url;

    const created = await api(edge, aliceToken).post('/api/chats/or-create', { recipientId: bob });
    expect(created.status).toBe(201);
    chatId = created.body.data._id;
    const accepted = await api(edge, bobToken).post(`/api/chats/${chatId}/accept`);
    expect(accepted.status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all([...Object.values(gateways), ...Object.values(services)].map((s) => s.stop('SIGKILL')));
    await infra?.stop();
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('a client connects through the edge with long-polling then WebSocket, and joins its chat', async () => {
    a = track(await connectReconnecting(edge, aliceToken));
    await eventually(() => a.io.engine.transport.name === 'websocket');
    b = track(await connectSocket(gateways[otherNode(nodeOf(a))].url, bobToken));
    expect(nodeOf(a)).not.toBe(nodeOf(b));
    expect(await emitAck(a, 'join_chat', { chatId })).toEqual({ ok: true, chatId, message: 'Joined chat' });
    expect(await emitAck(b, 'join_chat', { chatId })).toEqual({ ok: true, chatId, message: 'Joined chat' });
  });

  it('through the edge, a socket without a valid token is refused with connect_error', async () => {
    await expect(connectSocket(edge, undefined, { transports: ['polling'] })).rejects.toThrow(
      /Authentication required/,
    );
    await expect(connectSocket(edge, 'not-a-jwt')).rejects.toThrow(/Invalid token/);
  });

  it('a stranger cannot join the chat (chat-api says no)', async () => {
    const stranger = track(await connectSocket(edge, tokenFor(newUserId())));
    expect(await emitAck(stranger, 'join_chat', { chatId })).toMatchObject({
      ok: false,
      event: 'join_chat',
      code: expect.stringMatching(/FORBIDDEN|NOT_FOUND/),
    });
  });

  let firstMessageId: string;
  it('send_message reaches the other node as message_received, and the receiver gets unread_message from chat-api', async () => {
    const received = nextEvent(b, 'message_received');
    const unread = nextEvent(b, 'unread_message', 10_000, (p) => p.chatId === chatId && p.unreadCount === 1);
    const ack = await emitAck(a, 'send_message', { chatId, content: 'hello from the edge', clientMessageId: 'm-1' });
    expect(ack).toMatchObject({ ok: true, messageId: expect.any(String), timestamp: expect.any(String) });
    firstMessageId = ack.messageId;
    expect(await received).toMatchObject({
      messageId: ack.messageId,
      chatId,
      senderId: alice,
      receiverId: bob,
      content: 'hello from the edge',
      messageType: 'text',
      clientMessageId: 'm-1',
    });
    expect(await unread).toMatchObject({ chatId, unreadCount: 1, senderId: alice });
    const stored = await api(edge, bobToken).get(`/api/chats/${chatId}/messages`);
    expect(stored.body.data.map((m: { _id: string }) => m._id)).toContain(ack.messageId);
  });

  it('a retried send with the same clientMessageId returns the first id and stores nothing new', async () => {
    const ack = await emitAck(a, 'send_message', { chatId, content: 'hello from the edge', clientMessageId: 'm-1' });
    expect(ack).toMatchObject({ ok: true, messageId: firstMessageId });
    expect(await noEvent(b, 'message_received', 300)).toBe(true);
  });

  it('mark_as_read, edit, reactions and delete travel end to end', async () => {
    const read = nextEvent(a, 'messages_read');
    expect(await emitAck(b, 'mark_as_read', { chatId, messageIds: [firstMessageId] })).toEqual({
      ok: true,
      messageIds: [firstMessageId],
    });
    expect(await read).toMatchObject({ messageIds: [firstMessageId], readBy: bob, chatId });

    const edited = nextEvent(b, 'message_edited');
    expect(
      await emitAck(a, 'edit_message', { chatId, messageId: firstMessageId, newContent: 'hello, edited' }),
    ).toEqual({ ok: true, messageId: firstMessageId });
    expect(await edited).toMatchObject({
      messageId: firstMessageId,
      chatId,
      newContent: 'hello, edited',
      editedBy: alice,
    });

    const added = nextEvent(a, 'reaction_added');
    expect(await emitAck(b, 'add_reaction', { chatId, messageId: firstMessageId, emoji: '🎉' })).toEqual({
      ok: true,
      messageId: firstMessageId,
      emoji: '🎉',
    });
    expect(await added).toMatchObject({ messageId: firstMessageId, userId: bob, emoji: '🎉' });
    const removed = nextEvent(a, 'reaction_removed');
    expect(await emitAck(b, 'remove_reaction', { chatId, messageId: firstMessageId, emoji: '🎉' })).toEqual({
      ok: true,
      messageId: firstMessageId,
      emoji: '🎉',
    });
    expect(await removed).toMatchObject({ messageId: firstMessageId, userId: bob, emoji: '🎉' });

    const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'to be deleted' });
    const deleted = nextEvent(b, 'message_deleted', 5_000, (p) => p.messageId === messageId);
    expect(await emitAck(a, 'delete_message', { chatId, messageId })).toEqual({ ok: true, messageId });
    expect(await deleted).toMatchObject({ messageId, chatId, deletedBy: alice });
    const list = await api(edge, bobToken).get(`/api/chats/${chatId}/messages`);
    expect(list.body.data.map((m: { _id: string }) => m._id)).not.toContain(messageId);
  });

  it("editing through a chat id that is not the message's is refused and changes nothing", async () => {
    const carol = newUserId();
    const other = (await api(edge, aliceToken).post('/api/chats/or-create', { recipientId: carol })).body.data._id;
    const ack = await emitAck(a, 'edit_message', { chatId: other, messageId: firstMessageId, newContent: 'hijack' });
    expect(ack).toMatchObject({ ok: false, event: 'edit_message', code: expect.stringMatching(/NOT_FOUND|FORBIDDEN/) });
    const list = await api(edge, bobToken).get(`/api/chats/${chatId}/messages`);
    expect(list.body.data.find((m: { _id: string }) => m._id === firstMessageId).content).toBe('hello, edited');
  });

  it('typing reaches the other participant, not the typist', async () => {
    const typing = nextEvent(b, 'user_typing');
    expect(await emitAck(a, 'typing', { chatId })).toEqual({ ok: true });
    expect(await typing).toMatchObject({ userId: alice, chatId });
    const stop = nextEvent(b, 'user_stop_typing');
    expect(await emitAck(a, 'stop_typing', { chatId })).toEqual({ ok: true });
    expect(await stop).toMatchObject({ userId: alice, chatId });
  });

  it("delete_message scope me by the receiver reaches only the receiver's sockets and hides it only for them", async () => {
    const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'bob hides this' });
    const own = nextEvent(b, 'message_deleted', 5_000, (p) => p.messageId === messageId);
    expect(await emitAck(b, 'delete_message', { chatId, messageId, scope: 'me' })).toEqual({ ok: true, messageId });
    expect(await own).toEqual({ messageId, chatId, deletedBy: bob, scope: 'me', rev: expect.any(Number) });
    expect(await noEvent(a, 'message_deleted', 400)).toBe(true);
    const forBob = await api(edge, bobToken).get(`/api/chats/${chatId}/messages`);
    const forAlice = await api(edge, aliceToken).get(`/api/chats/${chatId}/messages`);
    expect(forBob.body.data.map((m: { _id: string }) => m._id)).not.toContain(messageId);
    expect(forAlice.body.data.map((m: { _id: string }) => m._id)).toContain(messageId);
  });

  it('a stranger cannot react to a message of a chat they are not in, directly or through a chat of their own', async () => {
    const strangerId = newUserId();
    const strangerToken = tokenFor(strangerId);
    const stranger = track(await connectSocket(edge, strangerToken));
    expect(await emitAck(stranger, 'add_reaction', { chatId, messageId: firstMessageId, emoji: '😈' })).toMatchObject({
      ok: false,
      event: 'add_reaction',
      code: expect.stringMatching(/FORBIDDEN|NOT_FOUND/),
    });
    const own = (await api(edge, strangerToken).post('/api/chats/or-create', { recipientId: newUserId() })).body.data
      ._id;
    expect((await emitAck(stranger, 'add_reaction', { chatId: own, messageId: firstMessageId, emoji: '😈' })).ok).toBe(
      false,
    );
    const list = await api(edge, aliceToken).get(`/api/chats/${chatId}/messages`);
    expect(list.body.data.find((m: { _id: string }) => m._id === firstMessageId).reactions).toEqual([]);
  });

  it('malformed payloads through the edge are refused; the node stays up and the chat is untouched', async () => {
    // The total is chat-api's count, settled by its projection of the earlier tests' sends: wait
    // until it counts the page (the chat holds fewer than 50 messages).
    const history = async () => {
      let res = await api(edge, aliceToken).get(`/api/chats/${chatId}/messages`);
      await eventually(async () => {
        res = await api(edge, aliceToken).get(`/api/chats/${chatId}/messages`);
        return res.body.pagination?.total === res.body.data?.length;
      });
      return res;
    };
    const before = await history();
    const payloads = [
      undefined,
      'x',
      [chatId],
      { chatId: { $ne: null }, content: 'x' },
      { chatId, messageId: { $gt: '' }, newContent: 'x', emoji: 'x' },
      JSON.parse(
        `{"__proto__": {"chatId": "${chatId}", "messageId": "${firstMessageId}"}, "content": "x", "newContent": "x", "emoji": "x"}`,
      ),
    ];
    // One attacker per event (long-polling, through the edge), staying under the default garbage and rate limits.
    for (const event of ['send_message', 'edit_message', 'delete_message', 'add_reaction', 'mark_as_read']) {
      const attacker = track(await connectSocket(edge, tokenFor(newUserId()), { transports: ['polling'] }));
      for (const payload of payloads) {
        const ack =
          payload === undefined
            ? await attacker.timeout(5_000).emitWithAck(event)
            : await emitAck(attacker, event, payload);
        expect(ack).toMatchObject({ ok: false, code: 'VALIDATION', event });
      }
      expect(attacker.connected).toBe(true);
    }
    const after = await history();
    expect(after.body).toEqual(before.body);
  });

  it('after leave_chat a socket hears nothing more of the chat; joining again resumes', async () => {
    expect(await emitAck(b, 'leave_chat', { chatId })).toEqual({ ok: true, chatId });
    await emitAck(a, 'send_message', { chatId, content: 'nobody in the room' });
    expect(await noEvent(b, 'message_received', 400)).toBe(true);
    expect((await emitAck(b, 'join_chat', { chatId })).ok).toBe(true);
  });

  it('gateway metrics count handled events by outcome', async () => {
    const text = await (await fetch(`${gateways[nodeOf(a)].url}/metrics`)).text();
    expect(text).toMatch(/socket_events_total\{[^}]*event="send_message"[^}]*outcome="ok"[^}]*\} [1-9]/);
    // What the autoscaler targets besides CPU: alice's socket, at least, is open there.
    expect(text).toMatch(/socket_connections_open\{[^}]*\} [1-9]/);
  });

  it('send_media with a file uploaded through the edge reaches the room as media_received', async () => {
    const form = new FormData();
    form.append('chatId', chatId);
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'dot.png');
    const upload = await api(edge, aliceToken).post('/api/media/upload-chat-media', form);
    expect(upload.status).toBe(200);
    const file = upload.body.data;
    const media = {
      url: file.url,
      fileId: file.fileId,
      fileName: file.fileName,
      fileSize: file.fileSize,
      mimeType: file.mimeType,
    };
    // The type is the file's detected one: a PNG cannot be posted as a video or a plain file.
    for (const messageType of ['video', 'file']) {
      expect(await emitAck(a, 'send_media', { chatId, messageType, media })).toMatchObject({
        ok: false,
        code: 'VALIDATION',
      });
    }
    const received = nextEvent(b, 'media_received');
    const ack = await emitAck(a, 'send_media', { chatId, messageType: 'image', media });
    expect(ack).toMatchObject({ ok: true, messageId: expect.any(String) });
    expect(await received).toMatchObject({
      messageId: ack.messageId,
      chatId,
      messageType: 'image',
      media: { fileId: file.fileId },
    });
  });

  it('when bob blocks the chat, both leave its room and sending into it is FORBIDDEN; after unblock they rejoin', async () => {
    expect((await api(edge, bobToken).post(`/api/chats/${chatId}/block`)).status).toBe(200);
    await expect.poll(async () => (await emitAck(a, 'typing', { chatId })).ok, { timeout: 10_000 }).toBe(false);
    await expect.poll(async () => (await emitAck(b, 'typing', { chatId })).ok, { timeout: 10_000 }).toBe(false);
    const before = await api(edge, bobToken).get(`/api/chats/${chatId}/messages`);
    expect(await emitAck(a, 'send_message', { chatId, content: 'let me in' })).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
      event: 'send_message',
    });
    const after = await api(edge, bobToken).get(`/api/chats/${chatId}/messages`);
    expect(after.body.pagination.total).toBe(before.body.pagination.total);
    expect((await api(edge, bobToken).post(`/api/chats/${chatId}/unblock`)).status).toBe(200);
    expect((await emitAck(a, 'join_chat', { chatId })).ok).toBe(true);
    expect((await emitAck(b, 'join_chat', { chatId })).ok).toBe(true);
  });

  it('SIGTERM drains a node: its clients are told, reconnect through the edge to the other node, and it exits 0', async () => {
    const drained = nodeOf(a);
    const notice = nextEvent(a, 'server_shutdown');
    const back = nextEvent(a, 'connect', 15_000);
    const code = gateways[drained].stop('SIGTERM');
    expect(await notice).toMatchObject({ reconnect: true });
    await back;
    expect(nodeOf(a)).toBe(otherNode(drained));
    expect(await code).toBe(0);
    // Bring the node back, same id and port, for the next test.
    gateways[drained] = await spawnService('realtime-gateway', gatewayEnv(drained), { port: gateways[drained].port });
    expect((await emitAck(a, 'join_chat', { chatId })).ok).toBe(true);
  }, 30_000);

  it('SIGKILL of a node: peers get user_offline within the expiry; the client reconnects through the edge, keeps chatting, and /changes gives what it missed', async () => {
    // alice through the edge, with a client that waits a while before reconnecting (so she is
    // really gone for longer than the presence expiry); bob directly on the other node.
    a.close();
    a = track(await connectReconnecting(edge, aliceToken, { reconnectionDelayMs: PRESENCE_TTL_MS * 4 }));
    const victim = nodeOf(a);
    b.close();
    b = track(await connectSocket(gateways[otherNode(victim)].url, bobToken));
    expect((await emitAck(b, 'join_chat', { chatId })).ok).toBe(true);
    expect((await emitAck(a, 'join_chat', { chatId })).ok).toBe(true);

    const offline = nextEvent(b, 'user_offline', PRESENCE_TTL_MS * 4, (p) => p.userId === alice);
    const reconnected = nextEvent(a, 'connect', 20_000);
    await gateways[victim].stop('SIGKILL');
    expect(await offline).toMatchObject({ userId: alice, chatId, timestamp: expect.any(String) });

    // While alice is away, bob writes.
    const online = nextEvent(b, 'user_online', 20_000, (p) => p.userId === alice);
    const missed = await emitAck(b, 'send_message', { chatId, content: 'sent while you were away' });
    expect(missed.ok).toBe(true);

    await reconnected;
    expect(nodeOf(a)).toBe(otherNode(victim));
    expect(await online).toMatchObject({ userId: alice, chatId });
    expect(await emitAck(a, 'join_chat', { chatId })).toMatchObject({ ok: true });

    const changes = await api(edge, aliceToken).get(`/api/chats/${chatId}/changes?since=0&limit=100`);
    expect(changes.status).toBe(200);
    const missedChange = changes.body.data.changes.find((c: { _id: string }) => c._id === missed.messageId);
    expect(missedChange).toMatchObject({ content: 'sent while you were away', senderId: bob });

    const received = nextEvent(b, 'message_received');
    const ack = await emitAck(a, 'send_message', { chatId, content: 'back again' });
    expect(ack.ok).toBe(true);
    expect(await received).toMatchObject({ messageId: ack.messageId, content: 'back again', senderId: alice });
  }, 40_000);
});
