import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatError, type ChatClient, type ChatHandle } from '@chat/client';
import { newUserId } from '@chat/testkit';
import { eventually, next, recordChat, sdkClient, serverMessages, sleep, startStack, type Stack } from './support/stack.js';

/** The smallest valid PNG: media-service detects types from bytes. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100e5270de40000000049454e44ae426082',
  'hex',
);

/** Two SDK clients holding a conversation through the edge, each on its own gateway node or not, as the edge deals them. */
describe('two SDK clients conversing through the edge', () => {
  let stack: Stack;
  const aliceId = newUserId();
  const bobId = newUserId();
  let alice: ChatClient;
  let bob: ChatClient;
  let chatId: string;
  let a: ChatHandle;
  let b: ChatHandle;
  let aLog: ReturnType<typeof recordChat>;
  let bLog: ReturnType<typeof recordChat>;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    stack = await startStack();
    // Alice on long-polling then WebSocket (the browser default), Bob on WebSocket only.
    alice = sdkClient(stack, aliceId);
    clients.push(alice);
    const created = await alice.rest.chats.orCreate(bobId);
    expect(created.status).toBe(201);
    chatId = created.data._id;
    await alice.connect();
    a = alice.chat(chatId);
    aLog = recordChat(a);
    await a.open();
  }, 120_000);

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await stack?.stop();
  });

  it('the recipient accepts over REST, and its user id comes from the token', async () => {
    bob = sdkClient(stack, bobId, { socketOptions: { transports: ['websocket'] } });
    clients.push(bob);
    const requests = await bob.rest.chats.requests();
    expect(requests.data.map((c) => c._id)).toEqual([chatId]);
    expect((await bob.rest.chats.accept(chatId)).data.status).toBe('accepted');
    expect(bob.userId).toBe(bobId);
  });

  it('presence: Alice sees Bob come online when his first socket connects, and go offline when the last one closes', async () => {
    const online = next(a, 'presence', (p: { online: boolean }) => p.online);
    const first = sdkClient(stack, bobId);
    clients.push(first);
    await first.connect();
    expect(await online).toEqual({ userId: bobId, online: true });
    expect(alice.isOnline(bobId)).toBe(true);
    const offline = next(a, 'presence', (p: { online: boolean }) => !p.online);
    first.close();
    expect(await offline).toEqual({ userId: bobId, online: false });
    expect(a.peerOnline).toBe(false);

    const back = next(a, 'presence', (p: { online: boolean }) => p.online);
    await bob.connect();
    b = bob.chat(chatId);
    bLog = recordChat(b);
    await b.open();
    await back;
    expect(b.peerId).toBe(aliceId);
  });

  let hello: string;
  it('send: the message shows once on both sides, with its clientMessageId, and the sender sees it delivered', async () => {
    const delivered = next(a, 'delivered');
    const sent = await a.send('  hello Bob  ');
    hello = sent._id;
    expect(sent).toMatchObject({ chatId, senderId: aliceId, receiverId: bobId, content: 'hello Bob', messageType: 'text' });
    expect(sent.clientMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.pending).toEqual([]);
    await eventually(() => expect(b.messages.map((m) => m._id)).toEqual([hello]));
    // Bob's SDK sent mark_as_delivered by itself; Alice's copy records it.
    expect(await delivered).toMatchObject({ messageIds: [hello], userId: bobId });
    await eventually(() => expect(a.getMessage(hello)?.deliveredTo.map((d) => d.userId)).toEqual([bobId]));
  });

  it('reply: the answer carries a preview of the message it replies to', async () => {
    const reply = await b.send('hi Alice', { replyToId: hello });
    await eventually(() => expect(a.getMessage(reply._id)).toBeDefined());
    expect(a.getMessage(reply._id)!.replyTo).toMatchObject({ messageId: hello, senderId: aliceId, content: 'hello Bob' });
    expect(reply.replyTo).toMatchObject({ messageId: hello, content: 'hello Bob' });
  });

  it('edit: the other side gets one update with the new text', async () => {
    const updated = next(b, 'update', (m: { _id: string; isEdited: boolean }) => m._id === hello && m.isEdited);
    await a.edit(hello, 'hello again, Bob');
    expect(await updated).toMatchObject({ content: 'hello again, Bob', isEdited: true, editedAt: expect.any(String) });
    await expect(b.edit(hello, 'not mine')).rejects.toMatchObject({ code: 'FORBIDDEN', extra: { event: 'edit_message' } });
  });

  it('react and unreact: both sides hold the reaction, then neither', async () => {
    await b.react(hello, '👍');
    await eventually(() => expect(a.getMessage(hello)?.reactions).toMatchObject([{ userId: bobId, emoji: '👍' }]));
    await b.unreact(hello, '👍');
    await eventually(() => expect(a.getMessage(hello)?.reactions).toEqual([]));
    await expect(b.react(hello, 'abc')).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('unread: the receiver counts live, the chat list agrees, and markRead brings it to zero and tells the sender', async () => {
    for (const text of ['one', 'two', 'three']) await a.send(text);
    // Bob has not read "hello" either: four.
    await eventually(() => expect(bob.unreadCount(chatId)).toBe(4));
    expect(b.unreadCount).toBe(4);
    const active = await bob.rest.chats.active();
    expect(active.data.find((c) => c._id === chatId)?.unreadCount).toBe(4);
    const read = next(a, 'read');
    const marked = await b.markRead();
    expect(marked).toHaveLength(4);
    expect(await read).toMatchObject({ userId: bobId });
    await eventually(() => expect(bob.unreadCount(chatId)).toBe(0));
    await eventually(() => expect(a.messages.filter((m) => m.senderId === aliceId).every((m) => m.readBy.some((r) => r.userId === bobId))).toBe(true));
  });

  it('typing: many keystrokes send one typing event, the other side sees it start and stop', async () => {
    const sentEvents: string[] = [];
    alice.socket.onAnyOutgoing((event: string) => sentEvents.push(event));
    const started = next(b, 'typing', (t: { typing: boolean }) => t.typing);
    for (let i = 0; i < 20; i++) {
      a.typing();
      await sleep(20);
    }
    expect(await started).toEqual({ userId: aliceId, typing: true });
    expect(b.typingUsers).toEqual([aliceId]);
    expect(sentEvents.filter((e) => e === 'typing')).toHaveLength(1);
    const stopped = next(b, 'typing', (t: { typing: boolean }) => !t.typing);
    a.stopTyping();
    expect(await stopped).toEqual({ userId: aliceId, typing: false });
    expect(sentEvents.filter((e) => e === 'stop_typing')).toHaveLength(1);
  });

  it('delete: for everyone removes it on both sides; the receiver hiding one removes it for them only', async () => {
    const doomed = await a.send('to be deleted');
    const hidden = await a.send('to be hidden by Bob');
    await eventually(() => expect(b.getMessage(hidden._id)).toBeDefined());
    const removed = next(b, 'remove', (m: { _id: string }) => m._id === doomed._id);
    await a.delete(doomed._id);
    await removed;
    await eventually(() => expect(a.getMessage(doomed._id)).toBeUndefined());
    await b.delete(hidden._id);
    await eventually(() => expect(b.getMessage(hidden._id)).toBeUndefined());
    await sleep(300);
    expect(a.getMessage(hidden._id)).toBeDefined();
    await expect(b.delete(hello, 'everyone')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('uploads: one file, then a bulk upload where a bad file fails alone, each sent as a media message', async () => {
    const image = await a.sendFile(new Blob([PNG], { type: 'image/png' }), { replyToId: hello });
    expect(image).toMatchObject({ messageType: 'image', media: { fileName: expect.any(String), url: expect.any(String) } });
    await eventually(() => expect(b.getMessage(image._id)?.media?.fileId).toBe(image.media!.fileId));
    const res = await fetch(alice.rest.media.fileUrl(image.media!.url));
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);

    const { messages, failed } = await a.sendFiles([
      { file: new Blob([PNG]), name: 'a.png' },
      { file: new Blob(['name,count\nx,1\n']), name: 'table.csv' },
      { file: new Blob(['#!/bin/sh\necho hi\n']), name: 'run.sh' },
    ]);
    expect(messages.map((m) => m.messageType)).toEqual(['image', 'file']);
    expect(failed).toMatchObject([{ index: 2, fileName: 'run.sh', status: 415 }]);
    await eventually(() => expect(messages.every((m) => b.getMessage(m._id))).toBe(true));
  });

  it('REST errors carry the status and the code', async () => {
    const err = await bob.rest.chats.history(aliceId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    await expect(a.send('   ')).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('each side saw every message once, in seq order, and holds what the server holds', async () => {
    const server = await serverMessages(alice, chatId);
    await eventually(() => expect(a.messages.map((m) => m._id)).toEqual(server.map((m) => m._id)));
    await eventually(() => expect(b.messages.map((m) => m._id)).toEqual(server.filter((m) => m.content !== 'to be hidden by Bob').map((m) => m._id)));
    for (const log of [aLog, bLog]) {
      const ids = log.messages.map((m) => m._id);
      expect(new Set(ids).size).toBe(ids.length);
      const seqs = log.messages.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    // Each message's final state matches the server's (edits, reactions, receipts).
    for (const m of a.messages) {
      const s = server.find((x) => x._id === m._id)!;
      expect({ content: m.content, reactions: m.reactions.length, readBy: m.readBy.map((r) => r.userId) }).toEqual({
        content: s.content,
        reactions: s.reactions.length,
        readBy: s.readBy.map((r) => r.userId),
      });
    }
  });
  it('the other REST routes: details, paging, search, media metadata and delete, upload token, archive, history', async () => {
    expect((await alice.rest.chats.get(chatId)).data).toMatchObject({ _id: chatId, status: 'accepted', messageCount: expect.any(Number) });
    const page = await alice.rest.messages.list(chatId, { limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.pagination).toMatchObject({ page: 1, limit: 2 });
    expect(page.chatInfo.participants.sort()).toEqual([aliceId, bobId].sort());
    const found = await bob.rest.messages.search(chatId, { q: 'HELLO AGAIN' });
    expect(found.data.map((m) => m._id)).toEqual([hello]);
    expect(found.window.complete).toBe(true);

    await expect(alice.rest.media.uploadToken()).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED', status: 501 });
    const { data: file } = await alice.rest.media.upload(chatId, { file: new Blob([PNG]), name: 'x.png' });
    expect((await bob.rest.media.metadata(file.fileId)).data).toMatchObject({ chatId, uploadedBy: aliceId });
    await expect(bob.rest.media.delete(file.fileId)).rejects.toMatchObject({ status: 403 });
    await alice.rest.media.delete(file.fileId);
    await expect(alice.rest.media.metadata(file.fileId)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });

    expect((await bob.rest.chats.archive(chatId)).data.isArchived).toBe(true);
    expect((await bob.rest.chats.active()).data.map((c) => c._id)).not.toContain(chatId);
    expect((await bob.rest.chats.history(bobId)).data.map((c) => c._id)).not.toContain(chatId);
    expect((await bob.rest.chats.history(bobId, { includeArchived: true })).data.map((c) => c._id)).toContain(chatId);
    expect((await bob.rest.chats.archive(chatId)).data.isArchived).toBe(false);
  });

  it('block refuses sends without retrying them; after the unblock both are back in the room without being told; typed raw requests work', async () => {
    expect((await bob.rest.chats.block(chatId)).data).toMatchObject({ status: 'blocked', blockedBy: bobId });
    await expect(a.send('while blocked')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(a.pending).toEqual([]);
    await expect(alice.rest.chats.unblock(chatId)).rejects.toMatchObject({ status: 403 });
    // The block took both out of the room. Bob's SDK saw his chat leave 'blocked' and joins
    // again; Alice's notices that Bob's next message was counted for her but never came.
    expect((await bob.rest.chats.unblock(chatId)).data.status).toBe('accepted');
    const fromBob = await b.send('unblocked you');
    await eventually(() => expect(a.getMessage(fromBob._id)).toBeDefined());
    const typing = next(a, 'typing', (t: { typing: boolean }) => t.typing);
    await eventually(async () => {
      b.stopTyping();
      b.typing();
      await typing;
    });
    const live = next<{ _id: string; content: string }>(b, 'message', (m) => m.content === 'after the unblock');
    const sent = await a.send('after the unblock');
    expect((await live)._id).toBe(sent._id);
    const ack = await bob.request('mark_as_read', { chatId, messageIds: [sent._id] });
    expect(ack.messageIds).toEqual([sent._id]);
    await expect(bob.request('join_chat', { chatId: 'nope' })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('delete hides the chat and its history for the deleter only; a new message brings it back with only the new one', async () => {
    await bob.rest.chats.delete(chatId);
    expect((await bob.rest.chats.active()).data.map((c) => c._id)).not.toContain(chatId);
    expect((await alice.rest.chats.active()).data.map((c) => c._id)).toContain(chatId);
    // Bob's copy of the history is gone at once; his sockets left the room with it.
    expect(b.messages).toEqual([]);
    expect(bob.unreadCount(chatId)).toBe(0);
    const back = await a.send('are you there?');
    await eventually(() => expect(b.messages.map((m) => m._id)).toEqual([back._id]));
    expect((await bob.rest.chats.active()).data.map((c) => c._id)).toContain(chatId);
  });
});
