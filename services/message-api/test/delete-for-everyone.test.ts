import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { messageDelete, messageEdit, messageSend, messageSendMedia, noticeSubjects } from '@chat/contracts';
import { sendUploadedImage, startWorld, uploadImage, type TestUser, type World } from './harness.js';

let w: World;
/** Every unread notice chat-api published on core NATS, as the bytes went over the wire. */
const notices: string[] = [];

beforeAll(async () => {
  w = await startWorld({ env: { TEXT_ERASE_RETRY_MS: '200' } });
  w.bus.nc.subscribe(noticeSubjects.all, {
    callback: (_err, msg) => {
      notices.push(msg.string());
    },
  });
});
afterAll(async () => {
  await w?.stop();
});

/** The raw stored document, read with the driver (no codec, no defaults). */
async function storedDoc(messageId: string): Promise<Record<string, any>> {
  const [doc] = await w.stored({ _id: new ObjectId(messageId) });
  if (!doc) throw new Error(`message ${messageId} is not stored`);
  return doc;
}

/** Once the delete's own event has left the document's outbox (published). */
const settled = (messageId: string) =>
  expect.poll(async () => (await storedDoc(messageId)).pendingEvents?.length ?? 0, { timeout: 10_000 }).toBe(0);

/** A served media URL fetched through the edge (local storage answers a path under it). */
const fetchFile = (url: string) => fetch(url.startsWith('/') ? `${w.edgeUrl}${url}` : url);

const chatOf = async (user: TestUser, chatId: string) => (await user.http.get(`/api/chats/${chatId}`)).body.data;

describe('a message deleted for everyone', () => {
  it('is stored as a tombstone: ids, seq, rev and times kept, no content, media or file name', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const text = await w.command(messageSend, alice, { chatId, content: 'tomb: first words' });
    await w.command(messageEdit, alice, { chatId, messageId: text.messageId, newContent: 'tomb: second words' });
    const file = await uploadImage(alice, chatId);
    const media = await w.command(messageSendMedia, alice, {
      chatId,
      messageType: 'image',
      media: { url: file.url, fileId: file.fileId, fileName: 'tomb-holiday.png' },
      content: 'tomb: a caption',
    });
    const before = await storedDoc(text.messageId);

    for (const m of [text, media]) await w.command(messageDelete, alice, { chatId, messageId: m.messageId });

    for (const m of [text, media]) {
      await settled(m.messageId);
      const doc = await storedDoc(m.messageId);
      expect(doc).not.toHaveProperty('content');
      expect(doc).not.toHaveProperty('media');
      const raw = JSON.stringify(doc);
      for (const said of ['tomb: ', 'tomb-holiday', file.url, file.fileId]) expect(raw).not.toContain(said);
      expect(doc).toMatchObject({ deletedForEveryone: true, deletedAt: expect.any(Date) });
      expect(doc.chatId.toHexString()).toBe(chatId);
      expect(doc.senderId.toHexString()).toBe(alice.id);
      expect(doc.receiverId.toHexString()).toBe(bob.id);
      expect(doc.seq).toEqual(expect.any(Number));
      expect(doc.rev).toEqual(expect.any(Number));
      expect(doc.createdAt).toEqual(expect.any(Date));
    }
    const after = await storedDoc(text.messageId);
    expect(after.seq).toBe(before.seq);
    expect(after.createdAt).toEqual(before.createdAt);
    expect(after.rev).toBeGreaterThan(before.rev);
  });

  it('history leaves it out, /changes shows its tombstone, and a reply to it shows it deleted without text', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const secret = await w.command(messageSend, alice, { chatId, content: 'quoted: the secret plan' });
    const reply = await w.command(messageSend, bob, { chatId, content: 'what plan?', replyToId: secret.messageId });
    await w.command(messageDelete, alice, { chatId, messageId: secret.messageId });

    for (const user of [alice, bob]) {
      const history = await user.http.get(`/api/chats/${chatId}/messages`);
      expect(history.status).toBe(200);
      expect(JSON.stringify(history.body)).not.toContain('the secret plan');
      expect(history.body.data.map((m: any) => m._id)).toEqual([reply.messageId]);
      expect(history.body.data[0].replyTo).toEqual({
        messageId: secret.messageId,
        senderId: alice.id,
        content: '',
        messageType: 'text',
        isDeleted: true,
      });

      const changes = await user.http.get(`/api/chats/${chatId}/changes?since=0`);
      expect(changes.status).toBe(200);
      expect(JSON.stringify(changes.body)).not.toContain('the secret plan');
      const tombstone = changes.body.data.changes.find((c: any) => c._id === secret.messageId);
      expect(tombstone).toEqual({ _id: secret.messageId, chatId, rev: expect.any(Number), seq: 1, isDeleted: true });
    }
  });

  it('has its file deleted: its URL answers 404 through the edge, and media-service no longer knows it', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const { file, media } = await sendUploadedImage(w, alice, chatId);
    expect((await fetchFile(file.url)).status).toBe(200);

    await w.command(messageDelete, alice, { chatId, messageId: media.messageId });

    await expect.poll(async () => (await fetchFile(file.url)).status, { timeout: 15_000 }).toBe(404);
    // The object goes first, its record a moment later (delete-file.ts: a failed removal is retried).
    const metadataStatus = async () =>
      (await alice.http.get(`/api/media/${encodeURIComponent(file.fileId)}/metadata`)).status;
    await expect.poll(metadataStatus, { timeout: 5_000 }).toBe(404);
  });

  it('has its file deleted once media-service is back, when it was down at the delete', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const { file, media } = await sendUploadedImage(w, alice, chatId);
    w.media.process.kill('SIGSTOP');
    try {
      await w.command(messageDelete, alice, { chatId, messageId: media.messageId });
      // Long enough for the eraser's request to time out and be put back at least once.
      await new Promise((r) => setTimeout(r, 6_000));
    } finally {
      w.media.process.kill('SIGCONT');
    }
    await expect.poll(async () => (await fetchFile(file.url)).status, { timeout: 20_000 }).toBe(404);
  });

  it('never has its text in an unread notice, and the chat list shows no preview of it', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    await w.command(messageSend, alice, { chatId, content: 'notice: an older line' });
    const secret = await w.command(messageSend, alice, { chatId, content: 'notice: the unread secret' });
    await expect.poll(async () => (await chatOf(bob, chatId)).unreadCount, { timeout: 10_000 }).toBe(2);
    await w.command(messageDelete, alice, { chatId, messageId: secret.messageId });
    await expect
      .poll(async () => {
        const chat = await chatOf(bob, chatId);
        return { unread: chat.unreadCount, last: chat.lastMessage };
      })
      .toEqual({ unread: 1, last: null });

    const ofChat = () => notices.filter((n) => n.includes(chatId));
    // bob heard of the messages and of the delete (his count went up to 2, then 1): notices trail the writes.
    const counts = () => ofChat().map((n) => JSON.parse(n).data.unreadCount as number);
    await expect.poll(() => counts().includes(2) && counts().lastIndexOf(1) > counts().indexOf(2)).toBe(true);
    for (const n of ofChat()) expect(n).not.toContain('notice: ');
    for (const user of [alice, bob]) {
      const list = await user.http.get('/api/chats/active');
      const listed = list.body.data.find((c: any) => c._id === chatId);
      expect(listed).toMatchObject({ lastMessage: null });
      expect(JSON.stringify(list.body)).not.toContain('the unread secret');
    }
  });
});
