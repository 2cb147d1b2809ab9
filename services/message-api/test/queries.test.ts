import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { messageDelete, messageReact, messageRead, messageSend } from '@chat/contracts';
import { api, badTokens, eventually, newUserId } from '@chat/testkit';
import { startWorld, type TestUser, type World } from './harness.js';

let w: World;
let alice: TestUser;
let bob: TestUser;
let eve: TestUser;
let chatId: string;
const sent: string[] = []; // ids in send order

beforeAll(async () => {
  // A long access cache: history's total must not come from a cached access answer.
  w = await startWorld({ env: { ACCESS_CACHE_TTL_MS: '60000' } });
  [alice, bob, eve] = [w.newUser(), w.newUser(), w.newUser()];
  chatId = await w.chat(alice, bob, 'accepted');
  for (let i = 1; i <= 12; i++) {
    const from = i % 2 ? alice : bob;
    sent.push((await w.command(messageSend, from, { chatId, content: `message ${i}` })).messageId);
  }
});
afterAll(async () => {
  await w?.stop();
});

const ids = (body: any) => body.data.map((m: any) => m._id);

describe('GET /api/chats/:chatId/messages through the edge', () => {
  it('answers the specification’s shape: newest first, chatInfo, pagination (total: every message the caller can see)', async () => {
    // The total is chat-api's count of the chat, kept by its projection of the sends: it settles.
    const res = await eventually(
      () => alice.http.get(`/api/chats/${chatId}/messages?limit=5&page=1`),
      (r) => r.body.pagination?.total === 12,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 200,
      message: `Messages loaded for chatId: ${chatId}`,
      chatInfo: { chatId, status: 'accepted', participants: expect.arrayContaining([alice.id, bob.id]) },
      pagination: { total: 12, page: 1, limit: 5 },
    });
    expect(ids(res.body)).toEqual(sent.slice(-5).reverse());
    const page3 = await alice.http.get(`/api/chats/${chatId}/messages?limit=5&page=3`);
    expect(ids(page3.body)).toEqual(sent.slice(0, 2).reverse());
    const first = res.body.data[0];
    expect(first).toMatchObject({
      chatId,
      content: 'message 12',
      messageType: 'text',
      readBy: [],
      reactions: [],
      replyTo: null,
      isEdited: false,
    });
    for (const hidden of ['deletedBy', 'deletedForEveryone', 'pendingEvents', 'reactionKeys', 'outboxAt'])
      expect(first).not.toHaveProperty(hidden);
  });

  it('counts a new message in total at once, whatever the access cache holds', async () => {
    const [c, d] = [w.newUser(), w.newUser()];
    const chat = await w.chat(c, d);
    await w.command(messageSend, c, { chatId: chat, content: 'one' });
    await eventually(
      () => d.http.get(`/api/chats/${chat}/messages`),
      (r) => r.body.pagination?.total === 1,
    );
    await w.command(messageSend, c, { chatId: chat, content: 'two' }); // the access answer is cached now
    const res = await eventually(
      () => d.http.get(`/api/chats/${chat}/messages`),
      (r) => r.body.pagination?.total === 2,
      10_000,
    );
    expect(res.body.data).toHaveLength(2);
  });

  it('pages with before (older, newest first) and after (newer, oldest first)', async () => {
    const before = await bob.http.get(`/api/chats/${chatId}/messages?before=${sent[5]}&limit=3`);
    expect(ids(before.body)).toEqual([sent[4], sent[3], sent[2]]);
    const after = await bob.http.get(`/api/chats/${chatId}/messages?after=${sent[5]}&limit=3`);
    expect(ids(after.body)).toEqual([sent[6], sent[7], sent[8]]);
    // total counts the chat, not what lies beyond the cursor.
    expect(after.body.pagination.total).toBe(12);
  });

  it('refuses a cursor of another chat, both cursors at once, and bad page/limit values', async () => {
    const carol = w.newUser();
    const other = await w.chat(alice, carol);
    const foreign = await w.command(messageSend, alice, { chatId: other, content: 'elsewhere' });
    expect((await alice.http.get(`/api/chats/${chatId}/messages?before=${foreign.messageId}`)).status).toBe(404);
    expect((await alice.http.get(`/api/chats/${chatId}/messages?before=${sent[1]}&after=${sent[2]}`)).status).toBe(400);
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'page=0',
      'page=-1',
      'page=1001', // deeper history pages with the before/after cursors
      'page=1000000000',
      'limit=1e3',
      'limit[$gt]=1',
      'before=xyz',
      'page=1&page=2',
    ]) {
      const res = await alice.http.get(`/api/chats/${chatId}/messages?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body).toMatchObject({ status: 400, message: expect.any(String) });
    }
  });

  it('refuses outsiders (403), unknown chats (404), bad ids (400) and bad tokens (401)', async () => {
    expect((await eve.http.get(`/api/chats/${chatId}/messages`)).status).toBe(403);
    expect((await alice.http.get(`/api/chats/${newUserId()}/messages`)).status).toBe(404);
    expect((await alice.http.get(`/api/chats/not-an-id/messages`)).status).toBe(400);
    expect((await api(w.edgeUrl).get(`/api/chats/${chatId}/messages`)).status).toBe(401);
    for (const [name, token] of Object.entries(badTokens(alice.id))) {
      expect((await api(w.edgeUrl, token).get(`/api/chats/${chatId}/messages`)).status, name).toBe(401);
    }
  });

  it('never shows messages hidden by the caller or deleted for everyone; shows readBy, reactions and replyTo previews', async () => {
    const [c, d] = [w.newUser(), w.newUser()];
    const chat = await w.chat(c, d);
    const m1 = (
      await w.command(messageSend, c, { chatId: chat, content: 'the original question, long enough to matter' })
    ).messageId;
    const m2 = (await w.command(messageSend, d, { chatId: chat, content: 'a reply', replyToId: m1 })).messageId;
    const m3 = (await w.command(messageSend, c, { chatId: chat, content: 'deleted for all' })).messageId;
    const m4 = (await w.command(messageSend, c, { chatId: chat, content: 'hidden by d' })).messageId;
    await w.command(messageDelete, c, { chatId: chat, messageId: m3 });
    await w.command(messageDelete, d, { chatId: chat, messageId: m4 });
    await w.command(messageRead, d, { chatId: chat, messageIds: [m1] });
    await w.command(messageReact, d, { chatId: chat, messageId: m1, emoji: '👍' });

    const forD = await eventually(
      () => d.http.get(`/api/chats/${chat}/messages`),
      (r) => r.body.pagination?.total === 2,
    );
    expect(ids(forD.body)).toEqual([m2, m1]);
    const [reply, original] = forD.body.data;
    expect(reply.replyTo).toEqual({
      messageId: m1,
      senderId: c.id,
      content: 'the original question, long enough to matter',
      messageType: 'text',
    });
    expect(original.readBy).toEqual([{ userId: d.id, readAt: expect.any(String) }]);
    expect(original.reactions).toEqual([{ userId: d.id, emoji: '👍', createdAt: expect.any(String) }]);
    const forC = await c.http.get(`/api/chats/${chat}/messages`);
    expect(ids(forC.body)).toEqual([m4, m2, m1]);

    // Once the replied message is deleted for everyone, the preview keeps only who and what kind.
    await w.command(messageDelete, c, { chatId: chat, messageId: m1 });
    const after = await d.http.get(`/api/chats/${chat}/messages`);
    expect(after.body.data[0].replyTo).toEqual({
      messageId: m1,
      senderId: c.id,
      content: '',
      messageType: 'text',
      isDeleted: true,
    });
  });

  it('hides the history before the caller deleted the chat, but shows newer messages', async () => {
    const [c, d] = [w.newUser(), w.newUser()];
    const chat = await w.chat(c, d);
    const old = (await w.command(messageSend, c, { chatId: chat, content: 'before delete' })).messageId;
    expect((await d.http.delete(`/api/chats/${chat}`)).status).toBe(200);
    const fresh = (await w.command(messageSend, c, { chatId: chat, content: 'after delete' })).messageId;
    const forD = await d.http.get(`/api/chats/${chat}/messages`);
    expect(ids(forD.body)).toEqual([fresh]);
    const forC = await c.http.get(`/api/chats/${chat}/messages`);
    expect(ids(forC.body)).toEqual([fresh, old]);
  });
});

describe('GET /api/chats/:chatId/search through the edge', () => {
  let chat: string;
  let c: TestUser;
  let d: TestUser;
  beforeAll(async () => {
    [c, d] = [w.newUser(), w.newUser()];
    chat = await w.chat(c, d);
    for (const content of [
      'Price is $5 (approx.)',
      'a.b.c',
      'path C:\\temp\\x',
      'array [1] here',
      'anything goes',
      '$where: 1',
      'CASE Insensitive',
    ]) {
      await w.command(messageSend, c, { chatId: chat, content });
    }
    await w.command(messageSend, c, { chatId: await w.chat(c, eve), content: 'case insensitive elsewhere' });
  });
  const search = (user: TestUser, q: string, extra = '') =>
    user.http.get(`/api/chats/${chat}/search?q=${encodeURIComponent(q)}${extra}`);
  const contents = (res: any) => res.body.data.map((m: any) => m.content);

  it('matches literally and case-insensitively, only in this chat, newest first, paginated', async () => {
    const res = await search(d, 'case insensitive');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 200,
      message: 'Messages found',
      pagination: { total: 1, page: 1, limit: 20 },
    });
    expect(contents(res)).toEqual(['CASE Insensitive']);
    const paged = await search(d, 'a', '&limit=2&page=2');
    expect(paged.body.pagination).toEqual({ total: expect.any(Number), page: 2, limit: 2 });
    expect(paged.body.data).toHaveLength(2);
  });

  it('gives regex characters no power: .* ( [ \\ $where', async () => {
    expect(contents(await search(d, '.*'))).toEqual([]);
    expect(contents(await search(d, '('))).toEqual(['Price is $5 (approx.)']);
    expect(contents(await search(d, '['))).toEqual(['array [1] here']);
    expect(contents(await search(d, '\\'))).toEqual(['path C:\\temp\\x']);
    expect(contents(await search(d, '$where'))).toEqual(['$where: 1']);
    expect(contents(await search(d, 'a.b'))).toEqual(['a.b.c']);
    expect(contents(await search(d, '$5 ('))).toEqual(['Price is $5 (approx.)']);
  });

  it('refuses a missing, empty, array, object or over-long q (10,000 characters) with 400', async () => {
    const bad = [
      '',
      '?q=',
      '?q=a&q=b',
      '?q[$regex]=.*',
      `?q=${'x'.repeat(201)}`,
      `?q=${'(a+)+'.repeat(2_000)}`,
      '?q=ok&limit=101',
      '?q=ok&page=0',
    ];
    for (const query of bad) {
      const res = await d.http.get(`/api/chats/${chat}/search${query}`);
      expect(res.status, query.slice(0, 40)).toBe(400);
      expect(res.body.status).toBe(400);
    }
    expect((await search(d, 'x'.repeat(10_000))).status).toBe(400);
    expect((await search(d, '😀'.repeat(200))).status).toBe(200);
  });

  it('never finds deleted or hidden messages, and refuses outsiders', async () => {
    const { messageId } = await w.command(messageSend, c, { chatId: chat, content: 'findable secret' });
    expect(contents(await search(d, 'findable'))).toEqual(['findable secret']);
    await w.command(messageDelete, d, { chatId: chat, messageId });
    expect(contents(await search(d, 'findable'))).toEqual([]);
    expect(contents(await search(c, 'findable'))).toEqual(['findable secret']);
    await w.command(messageDelete, c, { chatId: chat, messageId });
    expect(contents(await search(c, 'findable'))).toEqual([]);
    expect((await search(eve, 'secret')).status).toBe(403);
    const stored = await w.stored({ _id: new ObjectId(messageId) });
    expect(stored[0]?.deletedForEveryone).toBe(true);
  });
});
