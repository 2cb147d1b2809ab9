import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import {
  messageDelete,
  messageEdit,
  messageReact,
  messageRead,
  messageSend,
  messageSendMedia,
  messageUnreact,
} from '@chat/contracts';
import { newUserId } from '@chat/testkit';
import { startWorld, uploadImage, type TestUser, type World } from './harness.js';

let w: World;
let alice: TestUser;
let bob: TestUser;
let eve: TestUser;
let chatId: string;

beforeAll(async () => {
  w = await startWorld();
  [alice, bob, eve] = [w.newUser(), w.newUser(), w.newUser()];
  chatId = await w.chat(alice, bob, 'accepted');
});
afterAll(async () => {
  await w?.stop();
});

const send = (user: TestUser, content: string, extra: Record<string, unknown> = {}) =>
  w.command(messageSend, user, { chatId, content, ...extra });
const storedOne = async (id: string) => (await w.stored({ _id: new ObjectId(id) }))[0] as Record<string, any>;

describe('send', () => {
  it('stores a trimmed text message with seq and rev, answers its id and publishes created', async () => {
    const ack = await send(alice, '  hello bob  ');
    expect(ack).toMatchObject({ chatId, messageId: expect.any(String), timestamp: expect.any(String) });
    const doc = await storedOne(ack.messageId);
    expect(doc).toMatchObject({
      content: 'hello bob',
      messageType: 'text',
      seq: expect.any(Number),
      rev: expect.any(Number),
    });
    expect(doc.senderId.toHexString()).toBe(alice.id);
    expect(doc.receiverId.toHexString()).toBe(bob.id);
    const { event } = await w.waitForEvent(
      (e) => e.event.type === 'created' && e.event.data.messageId === ack.messageId,
    );
    expect(event.data).toMatchObject({
      senderId: alice.id,
      receiverId: bob.id,
      content: 'hello bob',
      seq: doc.seq,
      rev: doc.rev,
      replyTo: null,
    });
  });

  it('gives later messages of the chat a higher seq and rev', async () => {
    const a = await send(alice, 'one');
    const b = await send(bob, 'two');
    const [da, db] = [await storedOne(a.messageId), await storedOne(b.messageId)];
    expect(db.seq).toBeGreaterThan(da.seq);
    expect(db.rev).toBeGreaterThan(da.rev);
  });

  it('stores replyTo when it names a message of the same chat, and refuses one of another chat', async () => {
    const first = await send(alice, 'question?');
    const reply = await send(bob, 'answer', { replyToId: first.messageId });
    expect((await storedOne(reply.messageId)).replyTo.toHexString()).toBe(first.messageId);

    const carol = w.newUser();
    const otherChat = await w.chat(carol, alice);
    const foreign = await w.command(messageSend, carol, { chatId: otherChat, content: 'elsewhere' });
    expect(await w.refusal(messageSend, bob, { chatId, content: 'x', replyToId: foreign.messageId })).toBe(
      'VALIDATION',
    );
  });

  it('refuses empty, whitespace-only and over-long content with VALIDATION and stores nothing', async () => {
    const before = (await w.stored({ chatId: new ObjectId(chatId) })).length;
    for (const content of ['', '    ', 'x'.repeat(5_001), 'é'.repeat(5_001), 'a\u0000b']) {
      expect(await w.refusal(messageSend, alice, { chatId, content })).toBe('VALIDATION');
    }
    expect((await w.stored({ chatId: new ObjectId(chatId) })).length).toBe(before);
  });

  it('accepts 5,000 emoji (counted as code points, not UTF-16 units)', async () => {
    const ack = await send(alice, '😀'.repeat(5_000));
    expect([...(await storedOne(ack.messageId)).content].length).toBe(5_000);
  });

  it('refuses malformed payloads: operators, wrong types, bad ids, no caller', async () => {
    for (const bad of [
      { chatId: { $gt: '' }, content: 'x' },
      { chatId, content: { $gt: '' } },
      { chatId, content: 42 },
      { chatId: 'not-an-id', content: 'x' },
      { chatId, content: 'x', replyToId: 'nope' },
      { chatId, content: 'x', clientMessageId: 'x'.repeat(65) },
      { chatId, content: 'x', clientMessageId: 'nul\u0000' },
      { __proto__: { chatId }, content: 'x' },
    ]) {
      expect(await w.refusal(messageSend, alice, bad)).toBe('VALIDATION');
    }
    await expect(w.bus.request(messageSend, { chatId, content: 'x' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses an outsider (FORBIDDEN) and an unknown chat (NOT_FOUND)', async () => {
    expect(await w.refusal(messageSend, eve, { chatId, content: 'let me in' })).toBe('FORBIDDEN');
    expect(await w.refusal(messageSend, alice, { chatId: newUserId(), content: 'x' })).toBe('NOT_FOUND');
  });

  it('lets the requester of a pending chat send, but not its recipient until they accept', async () => {
    const [req, rec] = [w.newUser(), w.newUser()];
    const pending = await w.chat(req, rec, 'pending');
    await expect(w.command(messageSend, req, { chatId: pending, content: 'hi, may I?' })).resolves.toMatchObject({
      chatId: pending,
    });
    expect(await w.refusal(messageSend, rec, { chatId: pending, content: 'hi back' })).toBe('FORBIDDEN');
  });

  it('refuses both sides of a rejected chat and of a blocked chat, the blocker included', async () => {
    const [a, b, c, d] = [w.newUser(), w.newUser(), w.newUser(), w.newUser()];
    const rejected = await w.chat(a, b, 'rejected');
    const blocked = await w.chat(c, d, 'blocked');
    for (const [user, chat] of [
      [a, rejected],
      [b, rejected],
      [c, blocked],
      [d, blocked],
    ] as const) {
      expect(await w.refusal(messageSend, user, { chatId: chat, content: 'x' })).toBe('FORBIDDEN');
    }
    expect(await w.stored({ chatId: new ObjectId(blocked) })).toHaveLength(0);
  });
});

describe('send media', () => {
  it('stores the media record media-service holds for a file the sender uploaded to this chat', async () => {
    const file = await uploadImage(alice, chatId);
    const ack = await w.command(messageSendMedia, alice, {
      chatId,
      messageType: 'image',
      media: { url: 'https://evil.example/fake.png', fileId: file.fileId, fileName: 'x.png' },
    });
    const doc = await storedOne(ack.messageId);
    expect(doc.messageType).toBe('image');
    expect(doc.media).toMatchObject({ fileId: file.fileId, url: file.url, mimeType: 'image/png' });
    const { event } = await w.waitForEvent(
      (e) => e.event.type === 'created' && e.event.data.messageId === ack.messageId,
    );
    expect(event.data.media.url).toBe(file.url);
  });

  it('refuses a file that was not uploaded to this chat by the sender', async () => {
    const file = await uploadImage(alice, chatId);
    expect(
      await w.refusal(messageSendMedia, bob, {
        chatId,
        messageType: 'image',
        media: { url: file.url, fileId: file.fileId },
      }),
    ).toBe('NOT_FOUND');
    expect(
      await w.refusal(messageSendMedia, alice, {
        chatId,
        messageType: 'image',
        media: { url: 'u', fileId: 'unknown-file' },
      }),
    ).toBe('NOT_FOUND');
    expect(
      await w.refusal(messageSendMedia, eve, {
        chatId,
        messageType: 'image',
        media: { url: file.url, fileId: file.fileId },
      }),
    ).toBe('FORBIDDEN');
    expect(
      await w.refusal(messageSendMedia, alice, { chatId, messageType: 'exe', media: { url: 'u', fileId: 'f' } }),
    ).toBe('VALIDATION');
  });

  it('refuses a type other than the one media-service detected from the bytes: a PNG is an image, not a file or a video', async () => {
    const file = await uploadImage(alice, chatId);
    for (const messageType of ['file', 'video'] as const) {
      expect(
        await w.refusal(messageSendMedia, alice, { chatId, messageType, media: { url: file.url, fileId: file.fileId } }),
      ).toBe('VALIDATION');
    }
  });
});

describe('edit', () => {
  it('lets the sender edit a text message: stored, answered and published', async () => {
    const { messageId } = await send(alice, 'tpyo');
    const ack = await w.command(messageEdit, alice, { chatId, messageId, newContent: ' typo ' });
    expect(ack).toMatchObject({ messageId, newContent: 'typo', editedAt: expect.any(String) });
    const doc = await storedOne(messageId);
    expect(doc).toMatchObject({ content: 'typo', isEdited: true });
    const { event } = await w.waitForEvent((e) => e.event.type === 'edited' && e.event.data.messageId === messageId);
    expect(event.data).toMatchObject({ newContent: 'typo', editedBy: alice.id, rev: doc.rev });
  });

  it('refuses the receiver (FORBIDDEN), an outsider, a message of another chat, media, deleted ones and bad content', async () => {
    const { messageId } = await send(alice, 'mine');
    expect(await w.refusal(messageEdit, bob, { chatId, messageId, newContent: 'hacked' })).toBe('FORBIDDEN');
    expect(await w.refusal(messageEdit, eve, { chatId, messageId, newContent: 'hacked' })).toBe('FORBIDDEN');
    const carol = w.newUser();
    const other = await w.chat(alice, carol);
    expect(await w.refusal(messageEdit, alice, { chatId: other, messageId, newContent: 'wrong chat' })).toBe(
      'NOT_FOUND',
    );
    expect(await w.refusal(messageEdit, alice, { chatId, messageId, newContent: '   ' })).toBe('VALIDATION');
    expect(await w.refusal(messageEdit, alice, { chatId, messageId, newContent: 'x'.repeat(5_001) })).toBe(
      'VALIDATION',
    );
    expect((await storedOne(messageId)).content).toBe('mine');

    const file = await uploadImage(alice, chatId);
    const media = await w.command(messageSendMedia, alice, {
      chatId,
      messageType: 'image',
      media: { url: file.url, fileId: file.fileId },
    });
    expect(await w.refusal(messageEdit, alice, { chatId, messageId: media.messageId, newContent: 'caption' })).toBe(
      'VALIDATION',
    );

    await w.command(messageDelete, alice, { chatId, messageId });
    expect(await w.refusal(messageEdit, alice, { chatId, messageId, newContent: 'after delete' })).toBe('NOT_FOUND');
  });
});

describe('delete', () => {
  it('deletes for everyone by default when the sender asks, and publishes it with scope everyone', async () => {
    const { messageId } = await send(alice, 'oops');
    const ack = await w.command(messageDelete, alice, { chatId, messageId });
    expect(ack).toMatchObject({ messageId, scope: 'everyone' });
    expect((await storedOne(messageId)).deletedForEveryone).toBe(true);
    const { event } = await w.waitForEvent((e) => e.event.type === 'deleted' && e.event.data.messageId === messageId);
    expect(event.data).toMatchObject({
      scope: 'everyone',
      deletedBy: alice.id,
      senderId: alice.id,
      receiverId: bob.id,
      wasUnread: true,
    });
  });

  it('hides for the receiver only by default, and refuses the receiver deleting for everyone', async () => {
    const { messageId } = await send(alice, 'for bob');
    expect(await w.refusal(messageDelete, bob, { chatId, messageId, scope: 'everyone' })).toBe('FORBIDDEN');
    const ack = await w.command(messageDelete, bob, { chatId, messageId });
    expect(ack.scope).toBe('me');
    const doc = await storedOne(messageId);
    expect(doc.deletedForEveryone).toBe(false);
    expect(doc.deletedBy.map(String)).toEqual([bob.id]);
    // Gone for bob: a second delete finds nothing.
    expect(await w.refusal(messageDelete, bob, { chatId, messageId })).toBe('NOT_FOUND');
    // When alice then deletes it for everyone, the event says bob had already hidden it.
    await w.command(messageDelete, alice, { chatId, messageId });
    const { event } = await w.waitForEvent(
      (e) => e.event.type === 'deleted' && e.event.data.messageId === messageId && e.event.data.scope === 'everyone',
    );
    expect(event.data.alreadyHiddenFor).toEqual([bob.id]);
  });

  it('lets the sender hide their own message for themselves only', async () => {
    const { messageId } = await send(alice, 'hide from me');
    await expect(w.command(messageDelete, alice, { chatId, messageId, scope: 'me' })).resolves.toMatchObject({
      scope: 'me',
    });
    const doc = await storedOne(messageId);
    expect(doc.deletedForEveryone).toBe(false);
    expect(doc.deletedBy.map(String)).toEqual([alice.id]);
    const forBob = await bob.http.get(`/api/chats/${chatId}/messages?limit=100`);
    expect(forBob.body.data.map((m: any) => m._id)).toContain(messageId);
    const forAlice = await alice.http.get(`/api/chats/${chatId}/messages?limit=100`);
    expect(forAlice.body.data.map((m: any) => m._id)).not.toContain(messageId);
  });

  it('refuses an outsider and a message of another chat', async () => {
    const { messageId } = await send(alice, 'keep');
    expect(await w.refusal(messageDelete, eve, { chatId, messageId })).toBe('FORBIDDEN');
    const carol = w.newUser();
    const other = await w.chat(alice, carol);
    expect(await w.refusal(messageDelete, alice, { chatId: other, messageId })).toBe('NOT_FOUND');
    expect(await w.refusal(messageDelete, alice, { chatId, messageId, scope: 'all' })).toBe('VALIDATION');
    expect((await storedOne(messageId)).deletedForEveryone).toBe(false);
  });
});

describe('reactions', () => {
  it('adds one reaction per (user, emoji): twice changes nothing and publishes once', async () => {
    const { messageId } = await send(alice, 'react to me');
    await w.command(messageReact, bob, { chatId, messageId, emoji: '👍' });
    await w.command(messageReact, bob, { chatId, messageId, emoji: '👍' });
    await w.command(messageReact, alice, { chatId, messageId, emoji: '👍' });
    await w.command(messageReact, bob, { chatId, messageId, emoji: '🎉' });
    const doc = await storedOne(messageId);
    expect(doc.reactions.map((r: any) => `${r.userId}:${r.emoji}`).sort()).toEqual(
      [`${alice.id}:👍`, `${bob.id}:🎉`, `${bob.id}:👍`].sort(),
    );
    await w.waitForEvent(
      (e) => e.event.type === 'reaction_added' && e.event.data.messageId === messageId && e.event.data.emoji === '🎉',
    );
    const added = w.events.filter((e) => e.event.type === 'reaction_added' && e.event.data.messageId === messageId);
    expect(added).toHaveLength(3);
  });

  it('removes only the caller’s reaction and publishes reaction_removed', async () => {
    const { messageId } = await send(alice, 'unreact');
    await w.command(messageReact, bob, { chatId, messageId, emoji: '❤️' });
    await w.command(messageReact, alice, { chatId, messageId, emoji: '❤️' });
    await w.command(messageUnreact, bob, { chatId, messageId, emoji: '❤️' });
    const doc = await storedOne(messageId);
    expect(doc.reactions.map((r: any) => String(r.userId))).toEqual([alice.id]);
    expect(doc.reactionKeys).toEqual([`${alice.id}:❤️`]);
    const { event } = await w.waitForEvent(
      (e) => e.event.type === 'reaction_removed' && e.event.data.messageId === messageId,
    );
    expect(event.data).toMatchObject({ userId: bob.id, emoji: '❤️' });
  });

  it('refuses a non-participant who knows the message id, a wrong chat, and bad emoji', async () => {
    const { messageId } = await send(alice, 'private');
    expect(await w.refusal(messageReact, eve, { chatId, messageId, emoji: '👀' })).toBe('FORBIDDEN');
    const eveChat = await w.chat(eve, alice);
    expect(await w.refusal(messageReact, eve, { chatId: eveChat, messageId, emoji: '👀' })).toBe('NOT_FOUND');
    expect(await w.refusal(messageUnreact, eve, { chatId: eveChat, messageId, emoji: '👀' })).toBe('NOT_FOUND');
    expect(await w.refusal(messageReact, bob, { chatId, messageId, emoji: '' })).toBe('VALIDATION');
    expect(await w.refusal(messageReact, bob, { chatId, messageId, emoji: 'x'.repeat(17) })).toBe('VALIDATION');
    for (const text of ['x', '1', 'ok', '👍👍', '<b>', ' ', '👍 '])
      expect(await w.refusal(messageReact, bob, { chatId, messageId, emoji: text }), text).toBe('VALIDATION');
    expect((await storedOne(messageId)).reactions).toEqual([]);
  });

  it('takes one emoji sequence as one reaction (flags, keycaps, skin tones, families)', async () => {
    const { messageId } = await send(alice, 'sequences');
    for (const emoji of ['🇫🇷', '1️⃣', '👍🏽', '👨‍👩‍👧', '❤'])
      expect((await w.command(messageReact, bob, { chatId, messageId, emoji })).emoji).toBe(emoji);
    expect((await storedOne(messageId)).reactions).toHaveLength(5);
  });

  it('refuses an 11th reaction by one user on a message with CONFLICT, even sent all at once', async () => {
    const { messageId } = await send(alice, 'popular');
    const emojis = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎'];
    const answers = await Promise.all(
      emojis.map((emoji) =>
        w.bus.request(messageReact, { chatId, messageId, emoji }, { userId: bob.id }).then(
          () => 'ok',
          (err: { code?: string }) => err.code,
        ),
      ),
    );
    expect(answers.filter((a) => a === 'ok')).toHaveLength(10);
    expect(answers.filter((a) => a === 'CONFLICT')).toHaveLength(2);
    const doc = await storedOne(messageId);
    expect(doc.reactions).toHaveLength(10);
    // The other participant still has their own ten; the message then holds 20 distinct emoji.
    for (const emoji of ['🐶', '🐱', '🐭', '🐹', '🐰', '🦊', '🐻', '🐼', '🐨', '🐯'])
      await w.command(messageReact, alice, { chatId, messageId, emoji });
    expect(new Set((await storedOne(messageId)).reactions.map((r: any) => r.emoji)).size).toBe(20);
    expect(await w.refusal(messageReact, alice, { chatId, messageId, emoji: '🦁' })).toBe('CONFLICT');
  });

  it('answers a retried send with its stored message even after the chat was blocked; a new send is FORBIDDEN', async () => {
    const [c, d] = [w.newUser(), w.newUser()];
    const chat = await w.chat(c, d, 'accepted');
    const first = await w.command(messageSend, c, { chatId: chat, content: 'sent before the block', clientMessageId: 'retry-1' });
    await d.http.post(`/api/chats/${chat}/block`);
    const retry = await w.command(messageSend, c, { chatId: chat, content: 'sent before the block', clientMessageId: 'retry-1' });
    expect(retry).toMatchObject({ messageId: first.messageId, duplicate: true });
    expect(await w.refusal(messageSend, c, { chatId: chat, content: 'after', clientMessageId: 'retry-2' })).toBe('FORBIDDEN');
    // Another user's clientMessageId tells them nothing.
    expect(await w.refusal(messageSend, w.newUser(), { chatId: chat, content: 'x', clientMessageId: 'retry-1' })).toBe('FORBIDDEN');
  });

  it('refuses reactions in a blocked chat', async () => {
    const [c, d] = [w.newUser(), w.newUser()];
    const chat = await w.chat(c, d, 'accepted');
    const { messageId } = await w.command(messageSend, c, { chatId: chat, content: 'before the block' });
    await d.http.post(`/api/chats/${chat}/block`);
    expect(await w.refusal(messageReact, d, { chatId: chat, messageId, emoji: '👍' })).toBe('FORBIDDEN');
  });
});

describe('mark read', () => {
  it('marks only messages of the chat the reader received, once, and publishes exactly the ones it marked', async () => {
    const [m1, m2, m3] = [await send(alice, 'r1'), await send(alice, 'r2'), await send(alice, 'r3')];
    const own = await send(bob, 'bob’s own');
    const carol = w.newUser();
    const other = await w.chat(alice, carol);
    const foreign = await w.command(messageSend, alice, { chatId: other, content: 'other chat' });

    const ack = await w.command(messageRead, bob, {
      chatId,
      messageIds: [m1.messageId, m2.messageId, own.messageId, foreign.messageId, newUserId()],
    });
    expect(ack.messageIds.sort()).toEqual([m1.messageId, m2.messageId].sort());
    for (const id of [m1.messageId, m2.messageId])
      expect((await storedOne(id)).readBy.map((r: any) => String(r.userId))).toEqual([bob.id]);
    expect((await storedOne(own.messageId)).readBy).toEqual([]);
    expect((await storedOne(foreign.messageId)).readBy).toEqual([]);

    const { event } = await w.waitForEvent(
      (e) => e.event.type === 'read' && e.event.data.messageIds.includes(m1.messageId),
    );
    // Exactly the messages this read marked: chat-api takes these off bob's unread count.
    expect(event.data).toMatchObject({ readBy: bob.id });
    expect(event.data.messageIds.sort()).toEqual([m1.messageId, m2.messageId].sort());

    // Again: nothing new to mark, readBy not doubled.
    const again = await w.command(messageRead, bob, { chatId, messageIds: [m1.messageId, m3.messageId] });
    expect(again.messageIds).toEqual([m3.messageId]);
    expect((await storedOne(m1.messageId)).readBy).toHaveLength(1);
  });

  it('refuses an outsider, more than 200 ids, no ids and malformed ids', async () => {
    const { messageId } = await send(alice, 'secret');
    expect(await w.refusal(messageRead, eve, { chatId, messageIds: [messageId] })).toBe('FORBIDDEN');
    const many = Array.from({ length: 201 }, () => newUserId());
    expect(await w.refusal(messageRead, bob, { chatId, messageIds: many })).toBe('VALIDATION');
    expect(await w.refusal(messageRead, bob, { chatId, messageIds: [] })).toBe('VALIDATION');
    expect(await w.refusal(messageRead, bob, { chatId, messageIds: [{ $gt: '' }] })).toBe('VALIDATION');
    expect((await storedOne(messageId)).readBy).toEqual([]);
  });
});
