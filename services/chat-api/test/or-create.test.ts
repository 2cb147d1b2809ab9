import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { api, badTokens, newUserId } from '@chat/testkit';
import { newUser, startWorld, type ChatApiWorld } from './harness.js';

let world: ChatApiWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

const pairFilter = (a: string, b: string) => ({ pairKey: [a, b].sort().join(':') });

describe('POST /api/chats/or-create through the edge', () => {
  it('creates a pending chat requested by the caller: 201, the ChatView, and one stored document', async () => {
    const a = newUser(world.edgeUrl);
    const b = newUser(world.edgeUrl);
    const res = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 201, message: 'Chat created/retrieved successfully' });
    expect(res.body.data).toMatchObject({
      participants: [a.id, b.id].sort(),
      status: 'pending',
      requestedBy: a.id,
      unreadCount: 0,
      isArchived: false,
      blockedBy: null,
      lastMessage: null,
    });
    expect(res.body.data._id).toMatch(/^[0-9a-f]{24}$/);
    const stored = await world.storedChats(pairFilter(a.id, b.id));
    expect(stored).toHaveLength(1);
    expect(String(stored[0]!._id)).toBe(res.body.data._id);
    expect(stored[0]!.status).toBe('pending');
    expect(String(stored[0]!.requestedBy)).toBe(a.id);
    expect(stored[0]!.participants.map(String)).toEqual([a.id, b.id].sort());
  });

  it('answers 200 with the same chat when the caller asks again for the same pair', async () => {
    const a = newUser(world.edgeUrl);
    const b = newUser(world.edgeUrl);
    const first = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    const second = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.data._id).toBe(first.body.data._id);
    expect(second.body.data.status).toBe('pending');
    expect(await world.storedChats(pairFilter(a.id, b.id))).toHaveLength(1);
  });

  it('auto-accepts when the recipient asks for the chat the other side requested', async () => {
    const a = newUser(world.edgeUrl);
    const b = newUser(world.edgeUrl);
    const first = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    const back = await b.http.post('/api/chats/or-create', { recipientId: a.id });
    expect(back.status).toBe(200);
    expect(back.body.data._id).toBe(first.body.data._id);
    expect(back.body.data.status).toBe('auto_accepted');
    expect(back.body.data.acceptedAt).toEqual(expect.any(String));
    const [stored] = await world.storedChats(pairFilter(a.id, b.id));
    expect(stored!.status).toBe('auto_accepted');
  });

  it('never stores two chats for a pair, even with concurrent or-creates from both sides', async () => {
    for (let round = 0; round < 3; round++) {
      const a = newUser(world.edgeUrl);
      const b = newUser(world.edgeUrl);
      const calls = await Promise.all([
        ...Array.from({ length: 5 }, () => a.http.post('/api/chats/or-create', { recipientId: b.id })),
        ...Array.from({ length: 5 }, () => b.http.post('/api/chats/or-create', { recipientId: a.id })),
      ]);
      for (const c of calls) expect([200, 201]).toContain(c.status);
      expect(calls.filter((c) => c.status === 201)).toHaveLength(1);
      expect(new Set(calls.map((c) => c.body.data._id)).size).toBe(1);
      const stored = await world.storedChats(pairFilter(a.id, b.id));
      expect(stored).toHaveLength(1);
      // Both sides asked, so the chat ends auto-accepted whichever request came first.
      expect(stored[0]!.status).toBe('auto_accepted');
    }
  });

  it('refuses a bad recipientId with 400: not an ObjectId, an operator object, a number, missing, yourself', async () => {
    const a = newUser(world.edgeUrl);
    const chatsOfA = async () => (await world.storedChats({ participants: new Types.ObjectId(a.id) })).length;
    const before = await chatsOfA();
    for (const body of [
      { recipientId: 'not-an-id' },
      { recipientId: { $gt: '' } },
      { recipientId: 12345 },
      { recipientId: ['aaaaaaaaaaaaaaaaaaaaaaaa'] },
      {},
      { recipientId: a.id },
      { recipientId: a.id.toUpperCase() },
      { recipientId: 'a'.repeat(100_000) },
    ]) {
      const res = await a.http.post('/api/chats/or-create', body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body.status).toBe(400);
      expect(typeof res.body.message).toBe('string');
    }
    expect(await chatsOfA()).toBe(before);
  });

  it('refuses a malformed JSON body and a JSON array with 400', async () => {
    const a = newUser(world.edgeUrl);
    expect((await a.http.post('/api/chats/or-create', '{"recipientId":')).status).toBe(400);
    expect((await a.http.post('/api/chats/or-create', '[]')).status).toBe(400);
    expect(
      (await a.http.post('/api/chats/or-create', '{"__proto__":{"recipientId":"aaaaaaaaaaaaaaaaaaaaaaaa"}}')).status,
    ).toBe(400);
  });
});

describe('GET /api/chats/:chatId through the edge', () => {
  it('returns the chat to both participants with messageCount', async () => {
    const a = newUser(world.edgeUrl);
    const b = newUser(world.edgeUrl);
    const created = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    for (const user of [a, b]) {
      const res = await user.http.get(`/api/chats/${created.body.data._id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 200, message: 'Chat details retrieved' });
      expect(res.body.data).toMatchObject({
        _id: created.body.data._id,
        status: 'pending',
        messageCount: 0,
        unreadCount: 0,
      });
    }
  });

  it('answers 404 to a third user (the chat is not revealed) and for an unknown id', async () => {
    const a = newUser(world.edgeUrl);
    const b = newUser(world.edgeUrl);
    const c = newUser(world.edgeUrl);
    const created = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    const stranger = await c.http.get(`/api/chats/${created.body.data._id}`);
    expect(stranger.status).toBe(404);
    expect(stranger.body).toEqual({ status: 404, message: 'Chat not found' });
    const unknown = await a.http.get(`/api/chats/${new Types.ObjectId().toHexString()}`);
    expect(unknown.status).toBe(404);
  });

  it('answers 400 for a chat id that is not an ObjectId', async () => {
    const a = newUser(world.edgeUrl);
    expect((await a.http.get('/api/chats/not-an-id')).status).toBe(400);
    expect((await a.http.get('/api/chats/%7B%22%24gt%22%3A%22%22%7D')).status).toBe(400);
    expect((await a.http.get(`/api/chats/${'a'.repeat(25)}`)).status).toBe(400);
    const b = newUser(world.edgeUrl);
    const created = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    expect((await a.http.get(`/api/chats/${created.body.data._id}?participants[$ne]=x`)).status).toBe(400);
    expect((await a.http.post(`/api/chats/or-create?recipientId[$gt]=`, { recipientId: b.id })).status).toBe(400);
  });
});

describe('authentication on chat endpoints', () => {
  const endpoints: [string, string, unknown?][] = [
    ['POST', '/api/chats/or-create', { recipientId: newUserId() }],
    ['GET', `/api/chats/${newUserId()}`],
    ['GET', '/api/chats/requests'],
    ['GET', '/api/chats/active'],
    ['POST', `/api/chats/${newUserId()}/accept`],
    ['POST', `/api/chats/${newUserId()}/reject`],
    ['POST', `/api/chats/${newUserId()}/block`],
    ['POST', `/api/chats/${newUserId()}/unblock`],
    ['POST', `/api/chats/${newUserId()}/archive`],
    ['DELETE', `/api/chats/${newUserId()}`],
    ['GET', `/api/chats/user/${newUserId()}/history`],
  ];

  it('answers 401 without an Authorization header, on every endpoint', async () => {
    const anon = api(world.edgeUrl);
    for (const [method, path, body] of endpoints) {
      const res = await anon.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.status).toBe(401);
    }
  });

  it('answers 401 for malformed, wrong-secret, expired, alg none, HS512, non-ObjectId and missing subjects', async () => {
    const userId = newUserId();
    const chatsOfUser = async () => (await world.storedChats({ participants: new Types.ObjectId(userId) })).length;
    const before = await chatsOfUser();
    for (const [name, token] of Object.entries(badTokens(userId))) {
      const client = api(world.edgeUrl, token);
      for (const [method, path, body] of endpoints) {
        const res = await client.call(method, path, body);
        expect(res.status, `${name}: ${method} ${path}`).toBe(401);
      }
    }
    // A header that is not `Bearer <token>` is refused too.
    const basic = await api(world.edgeUrl).get('/api/chats/active', { authorization: 'Basic abc' });
    expect(basic.status).toBe(401);
    expect(await chatsOfUser()).toBe(before);
  });

  it('accepts the user id from the `id` and `userId` claims as well as `sub`', async () => {
    const { tokenFor } = await import('@chat/testkit');
    const b = newUserId();
    for (const claim of ['id', 'userId'] as const) {
      const me = newUserId();
      const res = await api(world.edgeUrl, tokenFor(me, { claim })).post('/api/chats/or-create', { recipientId: b });
      expect(res.status).toBe(201);
      expect(res.body.data.requestedBy).toBe(me);
    }
  });
});
