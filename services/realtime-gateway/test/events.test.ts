import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { badTokens, connectSocket, emitAck, newUserId, nextEvent, noEvent, tokenFor } from '@chat/testkit';
import { FakeBackend } from './support/fake-backend.js';
import { recordEvents, type TestNode } from './support/cluster.js';
import { startFakeCluster, type FakeCluster } from './support/fake-cluster.js';

/**
 * Two gateway nodes at once against chat-api / message-api stand-ins on NATS: the sender
 * on one node, the receiver on the other, every client event and broadcast end to end.
 */
describe('realtime-gateway: client events and broadcasts across two nodes', () => {
  let cluster: FakeCluster<'gw1' | 'gw2'>;
  let fake: FakeBackend;
  let gw1: TestNode;
  let gw2: TestNode;
  const connect = (url: string, userId: string) => cluster.connect(url, userId);
  const env = { SOCKET_RATE_LIMIT_POINTS: '1000', SOCKET_GARBAGE_LIMIT: '1000' };

  beforeAll(async () => {
    cluster = await startFakeCluster({ gw1: env, gw2: env });
    ({ fake } = cluster);
    ({ gw1, gw2 } = cluster.nodes);
  });

  afterAll(() => cluster?.close());

  /** alice on gw1 and bob on gw2, both in a fresh accepted chat. */
  async function pair() {
    const alice = newUserId();
    const bob = newUserId();
    const chatId = fake.addChat(alice, bob);
    const a = await connect(gw1.url, alice);
    const b = await connect(gw2.url, bob);
    expect(await emitAck(a, 'join_chat', { chatId })).toEqual({ ok: true, chatId, message: 'Joined chat' });
    expect(await emitAck(b, 'join_chat', { chatId })).toMatchObject({ ok: true, chatId });
    return { alice, bob, chatId, a, b };
  }

  describe('handshake', () => {
    it('refuses a socket without a token with a connect_error that says why', async () => {
      await expect(connectSocket(gw1.url, undefined)).rejects.toThrow(/Authentication required/);
    });

    it.each(Object.entries(badTokens(newUserId())))('refuses a %s token with connect_error', async (_name, token) => {
      await expect(connectSocket(gw2.url, token)).rejects.toThrow(/token|Token/);
    });

    it('accepts the token as an Authorization: Bearer header too, and the session id names the node', async () => {
      const { io } = await import('socket.io-client');
      const s = io(gw1.url, {
        transports: ['polling'],
        extraHeaders: { authorization: `Bearer ${tokenFor(newUserId())}` },
        forceNew: true,
        reconnection: false,
      });
      cluster.track(s);
      await nextEvent(s, 'connect');
      expect(s.io.engine.id.startsWith('gw1.')).toBe(true);
    });
  });

  describe('join_chat / leave_chat', () => {
    it('when a user joins their chat, they get join_chat_success and the ack', async () => {
      const alice = newUserId();
      const chatId = fake.addChat(alice, newUserId());
      const a = await connect(gw1.url, alice);
      const success = nextEvent(a, 'join_chat_success');
      expect(await emitAck(a, 'join_chat', { chatId })).toEqual({ ok: true, chatId, message: 'Joined chat' });
      expect(await success).toEqual({ chatId, message: 'Joined chat' });
    });

    it('when a non-participant joins a chat, it gets FORBIDDEN and hears nothing of that chat', async () => {
      const { chatId, a } = await pair();
      const stranger = await connect(gw2.url, newUserId());
      const log = recordEvents(stranger);
      const err = nextEvent(stranger, 'error');
      expect(await emitAck(stranger, 'join_chat', { chatId })).toMatchObject({
        ok: false,
        code: 'FORBIDDEN',
        event: 'join_chat',
      });
      expect(await err).toMatchObject({ code: 'FORBIDDEN', event: 'join_chat' });
      await emitAck(a, 'send_message', { chatId, content: 'private' });
      await emitAck(a, 'typing', { chatId });
      expect(await noEvent(stranger, 'message_received', 400)).toBe(true);
      expect(log.filter((e) => e.event !== 'error')).toEqual([]);
    });

    it('an unknown chat is NOT_FOUND', async () => {
      const s = await connect(gw1.url, newUserId());
      expect(await emitAck(s, 'join_chat', { chatId: 'a'.repeat(24) })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    });

    it('after leave_chat the socket no longer gets the chat broadcasts', async () => {
      const { chatId, a, b } = await pair();
      const left = nextEvent(b, 'leave_chat_success');
      expect(await emitAck(b, 'leave_chat', { chatId })).toEqual({ ok: true, chatId });
      expect(await left).toEqual({ chatId });
      await emitAck(a, 'send_message', { chatId, content: 'anyone?' });
      expect(await noEvent(b, 'message_received', 400)).toBe(true);
    });
  });

  describe('messages', () => {
    it('send_message on gw1 reaches the receiver on gw2 as message_received, and unread_message in their user room', async () => {
      const { alice, bob, chatId, a, b } = await pair();
      const received = nextEvent(b, 'message_received');
      const unread = nextEvent(b, 'unread_message');
      const success = nextEvent(a, 'send_message_success');
      const ack = await emitAck(a, 'send_message', { chatId, content: '  hello bob  ', clientMessageId: 'c-1' });
      expect(ack).toMatchObject({
        ok: true,
        messageId: expect.stringMatching(/^[0-9a-f]{24}$/),
        timestamp: expect.any(String),
      });
      expect(await success).toEqual({ messageId: ack.messageId, timestamp: ack.timestamp });
      expect(await received).toMatchObject({
        messageId: ack.messageId,
        chatId,
        senderId: alice,
        receiverId: bob,
        content: 'hello bob',
        messageType: 'text',
        replyTo: null,
        clientMessageId: 'c-1',
      });
      expect(await unread).toEqual({ chatId, unreadCount: 1, lastMessage: 'hello bob', senderId: alice });
      expect(fake.messages.get(ack.messageId)).toMatchObject({ chatId, senderId: alice, content: 'hello bob' });
      // Both nodes consume the stream, yet the event is broadcast once.
      expect(await noEvent(b, 'message_received', 400)).toBe(true);
    });

    it('the receiver gets unread_message on every socket even without joining the chat', async () => {
      const alice = newUserId();
      const bob = newUserId();
      const chatId = fake.addChat(alice, bob);
      const a = await connect(gw1.url, alice);
      const b1 = await connect(gw1.url, bob);
      const b2 = await connect(gw2.url, bob);
      const u1 = nextEvent(b1, 'unread_message');
      const u2 = nextEvent(b2, 'unread_message');
      await emitAck(a, 'send_message', { chatId, content: 'ping' });
      expect((await u1).unreadCount).toBe(1);
      expect((await u2).unreadCount).toBe(1);
      expect(await noEvent(b1, 'message_received', 300)).toBe(true);
    });

    it('works without an ack callback: the success event alone answers', async () => {
      const { chatId, a, b } = await pair();
      const success = nextEvent(a, 'send_message_success');
      const received = nextEvent(b, 'message_received');
      a.emit('send_message', { chatId, content: 'no ack' });
      const { messageId } = await success;
      expect((await received).messageId).toBe(messageId);
    });

    it('send_media reaches the room as media_received with the media object', async () => {
      const { chatId, a, b } = await pair();
      const media = {
        url: 'https://cdn.example/x.png',
        fileId: 'file-1',
        fileName: 'x.png',
        fileSize: 10,
        mimeType: 'image/png',
      };
      const received = nextEvent(b, 'media_received');
      const ack = await emitAck(a, 'send_media', { chatId, messageType: 'image', media });
      expect(ack).toMatchObject({ ok: true, messageId: expect.any(String) });
      expect(await received).toMatchObject({ messageId: ack.messageId, chatId, messageType: 'image', media });
    });

    it('mark_as_read answers read_success and the room gets messages_read', async () => {
      const { bob, chatId, a, b } = await pair();
      const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'read me' });
      const read = nextEvent(a, 'messages_read');
      const unread = nextEvent(b, 'unread_message', 5_000, (p) => p.unreadCount === 0);
      expect(await emitAck(b, 'mark_as_read', { chatId, messageIds: [messageId] })).toEqual({
        ok: true,
        messageIds: [messageId],
      });
      expect(await read).toMatchObject({ messageIds: [messageId], readBy: bob, chatId, timestamp: expect.any(String) });
      expect((await unread).unreadCount).toBe(0);
      expect(fake.messages.get(messageId)!.readBy.has(bob)).toBe(true);
    });

    it('edit_message answers edit_success and the room gets message_edited', async () => {
      const { alice, chatId, a, b } = await pair();
      const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'typo' });
      const edited = nextEvent(b, 'message_edited');
      expect(await emitAck(a, 'edit_message', { chatId, messageId, newContent: 'fixed' })).toEqual({
        ok: true,
        messageId,
      });
      expect(await edited).toMatchObject({
        messageId,
        chatId,
        newContent: 'fixed',
        editedBy: alice,
        editedAt: expect.any(String),
      });
      expect(fake.messages.get(messageId)!.content).toBe('fixed');
    });

    it("editing through a chat id that is not the message's is NOT_FOUND and changes nothing", async () => {
      const { alice, chatId, a } = await pair();
      const other = fake.addChat(alice, newUserId());
      const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'original' });
      expect(await emitAck(a, 'edit_message', { chatId: other, messageId, newContent: 'hijack' })).toMatchObject({
        ok: false,
        code: 'NOT_FOUND',
        event: 'edit_message',
      });
      expect(fake.messages.get(messageId)!.content).toBe('original');
    });

    it('delete_message by the sender goes to the room as message_deleted', async () => {
      const { alice, chatId, a, b } = await pair();
      const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'oops' });
      const deleted = nextEvent(b, 'message_deleted');
      const success = nextEvent(a, 'delete_success');
      expect(await emitAck(a, 'delete_message', { chatId, messageId })).toEqual({ ok: true, messageId });
      expect(await success).toEqual({ messageId });
      expect(await deleted).toMatchObject({ messageId, chatId, deletedBy: alice });
      expect(fake.messages.get(messageId)!.deleted).toBe(true);
    });

    it('delete_message scope me by the receiver reaches only their own sockets, with scope "me"', async () => {
      const { bob, chatId, a, b } = await pair();
      const bobOther = await connect(gw1.url, bob);
      const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'hide me' });
      const own = nextEvent(bobOther, 'message_deleted');
      expect(await emitAck(b, 'delete_message', { chatId, messageId, scope: 'me' })).toEqual({ ok: true, messageId });
      expect(await own).toEqual({ messageId, chatId, deletedBy: bob, scope: 'me', rev: expect.any(Number) });
      expect(await noEvent(a, 'message_deleted', 400)).toBe(true);
      expect(fake.messages.get(messageId)!.deleted).toBe(false);
    });

    it('add_reaction / remove_reaction answer their success events and reach the room', async () => {
      const { bob, chatId, a, b } = await pair();
      const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'react' });
      const added = nextEvent(a, 'reaction_added');
      expect(await emitAck(b, 'add_reaction', { chatId, messageId, emoji: '👍' })).toEqual({
        ok: true,
        messageId,
        emoji: '👍',
      });
      expect(await added).toMatchObject({ messageId, chatId, userId: bob, emoji: '👍', timestamp: expect.any(String) });
      const removed = nextEvent(a, 'reaction_removed');
      const success = nextEvent(b, 'reaction_removed_success');
      expect(await emitAck(b, 'remove_reaction', { chatId, messageId, emoji: '👍' })).toEqual({
        ok: true,
        messageId,
        emoji: '👍',
      });
      expect(await success).toEqual({ messageId, emoji: '👍' });
      expect(await removed).toMatchObject({ messageId, chatId, userId: bob, emoji: '👍' });
      expect(fake.messages.get(messageId)!.reactions).toEqual([]);
    });

    it('reacting to a message of a chat the user is not in is refused and changes nothing', async () => {
      const { chatId, a } = await pair();
      const { messageId } = await emitAck(a, 'send_message', { chatId, content: 'mine' });
      const stranger = await connect(gw2.url, newUserId());
      expect(await emitAck(stranger, 'add_reaction', { chatId, messageId, emoji: '😈' })).toMatchObject({
        ok: false,
        code: 'FORBIDDEN',
        event: 'add_reaction',
      });
      // Through a chat of their own: the message is not in it.
      const ownChat = fake.addChat(newUserId(), newUserId());
      expect((await emitAck(stranger, 'add_reaction', { chatId: ownChat, messageId, emoji: '😈' })).ok).toBe(false);
      expect(fake.messages.get(messageId)!.reactions).toEqual([]);
    });
  });

  describe('typing', () => {
    it('user_typing reaches the other participant only, at most once per throttle window, and stop_typing ends it', async () => {
      const { alice, chatId, a, b } = await pair();
      const aliceOther = await connect(gw2.url, alice);
      await emitAck(aliceOther, 'join_chat', { chatId });
      const bobLog = recordEvents(b);
      const aliceLog = recordEvents(aliceOther);
      const typing = nextEvent(b, 'user_typing');
      for (let i = 0; i < 8; i++) expect(await emitAck(a, 'typing', { chatId })).toEqual({ ok: true });
      expect(await typing).toMatchObject({ userId: alice, chatId, timestamp: expect.any(String) });
      const stop = nextEvent(b, 'user_stop_typing');
      expect(await emitAck(a, 'stop_typing', { chatId })).toEqual({ ok: true });
      expect(await stop).toMatchObject({ userId: alice, chatId });
      expect(bobLog.filter((e) => e.event === 'user_typing')).toHaveLength(1);
      expect(bobLog.filter((e) => e.event === 'user_stop_typing')).toHaveLength(1);
      expect(aliceLog.filter((e) => e.event.startsWith('user_'))).toEqual([]);
    });

    it('a typist who disconnects gets a user_stop_typing', async () => {
      const { alice, chatId, a, b } = await pair();
      await emitAck(a, 'typing', { chatId });
      const stop = nextEvent(b, 'user_stop_typing');
      a.disconnect();
      expect(await stop).toMatchObject({ userId: alice, chatId });
    });

    it('the recipient of a pending request may not type (only who may send may), the requester may', async () => {
      const [alice, bob] = [newUserId(), newUserId()];
      const chatId = fake.addChat(alice, bob, 'pending');
      const [a, b] = [await connect(gw1.url, alice), await connect(gw2.url, bob)];
      for (const s of [a, b]) expect((await emitAck(s, 'join_chat', { chatId })).ok).toBe(true);
      expect(await emitAck(b, 'typing', { chatId })).toMatchObject({ ok: false, code: 'FORBIDDEN', event: 'typing' });
      expect(await noEvent(a, 'user_typing', 300)).toBe(true);
      const typing = nextEvent(b, 'user_typing');
      expect(await emitAck(a, 'typing', { chatId })).toEqual({ ok: true });
      expect(await typing).toMatchObject({ userId: alice, chatId });
    });

    it('typing into a chat the socket has not joined is FORBIDDEN and reaches nobody', async () => {
      const { chatId, b } = await pair();
      const stranger = await connect(gw1.url, newUserId());
      expect(await emitAck(stranger, 'typing', { chatId })).toMatchObject({
        ok: false,
        code: 'FORBIDDEN',
        event: 'typing',
      });
      expect(await noEvent(b, 'user_typing', 400)).toBe(true);
    });
  });

  describe('chat state changes', () => {
    /** Whether `socket` is still in the chat's room: an event published to the room reaches it or not. */
    const hearsRoom = async (socket: Socket, chatId: string) => {
      const arrived = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 400);
        socket.on('message_edited', (p: { chatId: string; newContent: string }) => {
          if (p.chatId === chatId && p.newContent === 'probe') {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
      await fake.probeRoom(chatId);
      return arrived;
    };

    it('when a chat is blocked, both users leave its room at once and sending is FORBIDDEN', async () => {
      const { bob, chatId, a, b } = await pair();
      const bobOther = await connect(gw1.url, bob);
      await emitAck(bobOther, 'join_chat', { chatId });
      expect(await hearsRoom(a, chatId)).toBe(true);
      await fake.setStatus(chatId, 'blocked', bob);
      // The leave is applied by the broadcast consumer.
      await expect.poll(() => hearsRoom(a, chatId), { timeout: 5_000 }).toBe(false);
      await expect.poll(() => hearsRoom(bobOther, chatId), { timeout: 5_000 }).toBe(false);
      // Neither side of a blocked chat may type.
      for (const socket of [a, bobOther])
        expect(await emitAck(socket, 'typing', { chatId })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      const before = fake.snapshot();
      expect(await emitAck(a, 'send_message', { chatId, content: 'still there?' })).toMatchObject({
        ok: false,
        code: 'FORBIDDEN',
        event: 'send_message',
      });
      expect(fake.snapshot()).toBe(before);
      expect(await emitAck(b, 'join_chat', { chatId })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await noEvent(b, 'user_typing', 300)).toBe(true);
    });

    it('when a chat is rejected, both users leave its room and hear nothing more of it', async () => {
      const { alice, chatId, a, b } = await pair();
      await fake.setStatus(chatId, 'rejected', alice);
      await expect.poll(() => hearsRoom(b, chatId), { timeout: 5_000 }).toBe(false);
      await expect.poll(() => hearsRoom(a, chatId), { timeout: 5_000 }).toBe(false);
      expect(await noEvent(b, 'user_typing', 300)).toBe(true);
    });

    it('when a user deletes a chat, only their sockets leave the room', async () => {
      const { bob, chatId, a, b } = await pair();
      await fake.deleteChatFor(chatId, bob);
      await expect.poll(() => hearsRoom(b, chatId), { timeout: 5_000 }).toBe(false);
      expect(await hearsRoom(a, chatId)).toBe(true);
    });
  });

  describe('token expiry', () => {
    it('a socket is told UNAUTHORIZED and closed when its token expires; one with a fresh token stays', async () => {
      const alice = newUserId();
      const short = await connectSocket(gw1.url, tokenFor(alice, { expiresIn: 2 }));
      const fresh = await connect(gw1.url, alice);
      const told = nextEvent(short, 'error', 5_000);
      const closed = nextEvent(short, 'disconnect', 5_000);
      expect(await told).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/expired/) });
      expect(await closed).toBe('io server disconnect');
      expect(fresh.connected).toBe(true);
    });
  });

  describe('presence', () => {
    it("user_online when a user's first socket comes, not for the second; user_offline only when the last goes", async () => {
      const alice = newUserId();
      const bob = newUserId();
      const chatId = fake.addChat(alice, bob);
      const b = await connect(gw2.url, bob);
      await emitAck(b, 'join_chat', { chatId });
      const online = nextEvent(b, 'user_online', 5_000, (p) => p.userId === alice);
      const a1 = await connect(gw1.url, alice);
      expect(await online).toMatchObject({ userId: alice, chatId, timestamp: expect.any(String) });
      const a2 = await connect(gw2.url, alice);
      expect(await noEvent(b, 'user_online', 400)).toBe(true);
      a1.disconnect();
      expect(await noEvent(b, 'user_offline', 400)).toBe(true);
      const offline = nextEvent(b, 'user_offline', 5_000, (p) => p.userId === alice);
      a2.disconnect();
      expect(await offline).toMatchObject({ userId: alice, chatId });
    });

    it('a stranger who requested a chat and joined its room never learns whether the other is online; neither does a blocked chat', async () => {
      const [target, stranger, blocker] = [newUserId(), newUserId(), newUserId()];
      const pending = fake.addChat(stranger, target, 'pending');
      const blocked = fake.addChat(blocker, target, 'blocked');
      const contact = newUserId();
      const friendly = fake.addChat(contact, target);
      const s = await connect(gw1.url, stranger);
      const k = await connect(gw1.url, blocker);
      const c = await connect(gw2.url, contact);
      expect((await emitAck(s, 'join_chat', { chatId: pending })).ok).toBe(true);
      await emitAck(k, 'join_chat', { chatId: blocked }); // refused or not, it must not help
      await emitAck(c, 'join_chat', { chatId: friendly });
      const contactHears = nextEvent(c, 'user_online', 5_000, (p) => p.userId === target);
      const t = await connect(gw2.url, target);
      expect(await contactHears).toMatchObject({ userId: target, chatId: friendly });
      expect(await noEvent(s, 'user_online', 400)).toBe(true);
      expect(await noEvent(k, 'user_online', 50)).toBe(true);
      const contactHearsOff = nextEvent(c, 'user_offline', 5_000, (p) => p.userId === target);
      t.disconnect();
      await contactHearsOff;
      expect(await noEvent(s, 'user_offline', 400)).toBe(true);
      expect(await noEvent(k, 'user_offline', 50)).toBe(true);
    });
  });
});
