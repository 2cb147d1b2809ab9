import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { newUser, startWorld, type ChatApiWorld, type TestUser } from './harness.js';

let world: ChatApiWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

const users = () => [newUser(world.edgeUrl), newUser(world.edgeUrl), newUser(world.edgeUrl)] as const;
async function request(from: TestUser, to: TestUser): Promise<string> {
  const res = await from.http.post('/api/chats/or-create', { recipientId: to.id });
  expect(res.status).toBe(201);
  return res.body.data._id as string;
}
const stored = async (chatId: string) => (await world.storedChats({ _id: new Types.ObjectId(chatId) }))[0]!;
const ids = (res: { body: { data: { _id: string }[] } }) => res.body.data.map((c) => c._id);

describe('GET /api/chats/requests', () => {
  it('lists pending chats others requested from the caller, not the caller own requests', async () => {
    const [a, b, c] = users();
    const ab = await request(a, b);
    const cb = await request(c, b);
    const forB = await b.http.get('/api/chats/requests');
    expect(forB.status).toBe(200);
    expect(forB.body.message).toBe('Chat requests fetched successfully');
    expect(ids(forB).sort()).toEqual([ab, cb].sort());
    expect(forB.body.pagination).toEqual({ total: 2, page: 1, limit: 50 });
    const forA = await a.http.get('/api/chats/requests');
    expect(ids(forA)).toEqual([]);
    // Once accepted it is no longer a request.
    await b.http.post(`/api/chats/${ab}/accept`);
    expect(ids(await b.http.get('/api/chats/requests'))).toEqual([cb]);
  });
});

describe('accept', () => {
  it('the recipient accepts: 200, accepted with acceptedAt, stored', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    const res = await b.http.post(`/api/chats/${chatId}/accept`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 200,
      message: 'Chat request accepted',
      data: { _id: chatId, status: 'accepted' },
    });
    expect(res.body.data.acceptedAt).toEqual(expect.any(String));
    const doc = await stored(chatId);
    expect(doc.status).toBe('accepted');
    expect(doc.acceptedAt).toBeInstanceOf(Date);
  });

  it('the requester accepting their own request gets 403, and nothing changes', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    const res = await a.http.post(`/api/chats/${chatId}/accept`);
    expect(res.status).toBe(403);
    expect((await stored(chatId)).status).toBe('pending');
  });

  it('accepting a chat that is not pending is a 409', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    expect((await b.http.post(`/api/chats/${chatId}/accept`)).status).toBe(200);
    const again = await b.http.post(`/api/chats/${chatId}/accept`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ status: 409, message: expect.stringContaining('not pending') });
  });

  it('a stranger gets 404 on every action, and an unknown chat is 404', async () => {
    const [a, b, c] = users();
    const chatId = await request(a, b);
    for (const action of ['accept', 'reject', 'block', 'unblock', 'archive']) {
      expect((await c.http.post(`/api/chats/${chatId}/${action}`)).status, action).toBe(404);
      expect((await a.http.post(`/api/chats/${new Types.ObjectId().toHexString()}/${action}`)).status, action).toBe(
        404,
      );
    }
    expect((await c.http.delete(`/api/chats/${chatId}`)).status).toBe(404);
    const doc = await stored(chatId);
    expect(doc.status).toBe('pending');
    expect(doc.archivedBy).toEqual([]);
    expect(doc.hiddenFor).toEqual([]);
  });

  it('bad chat ids are 400 on every action', async () => {
    const [a] = users();
    for (const action of ['accept', 'reject', 'block', 'unblock', 'archive']) {
      expect((await a.http.post(`/api/chats/nope/${action}`)).status).toBe(400);
      expect((await a.http.post(`/api/chats/${'g'.repeat(24)}/${action}`)).status).toBe(400);
    }
    expect((await a.http.delete('/api/chats/nope')).status).toBe(400);
  });

  it('concurrent accepts by the recipient: one 200, the rest 409', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    const results = await Promise.all(Array.from({ length: 6 }, () => b.http.post(`/api/chats/${chatId}/accept`)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    expect((await stored(chatId)).stateRev).toBe(1);
  });
});

describe('reject', () => {
  it('the recipient rejects: 200 rejected; the requester cannot reject (403)', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    expect((await a.http.post(`/api/chats/${chatId}/reject`)).status).toBe(403);
    const res = await b.http.post(`/api/chats/${chatId}/reject`);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Chat request rejected');
    expect((await stored(chatId)).status).toBe('rejected');
    expect((await b.http.post(`/api/chats/${chatId}/reject`)).status).toBe(409);
    expect((await b.http.post(`/api/chats/${chatId}/accept`)).status).toBe(409);
  });

  it('a rejected chat stays rejected for the turned-down requester; the rejecter may start it again', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    await b.http.post(`/api/chats/${chatId}/reject`);
    const retry = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    expect(retry.status).toBe(200);
    expect(retry.body.data).toMatchObject({ _id: chatId, status: 'rejected', requestedBy: a.id });
    const restart = await b.http.post('/api/chats/or-create', { recipientId: a.id });
    expect(restart.status).toBe(200);
    expect(restart.body.data).toMatchObject({ _id: chatId, status: 'pending', requestedBy: b.id });
    // Now a is the recipient: a can accept, b cannot.
    expect((await b.http.post(`/api/chats/${chatId}/accept`)).status).toBe(403);
    expect((await a.http.post(`/api/chats/${chatId}/accept`)).status).toBe(200);
    expect(await world.storedChats({ pairKey: [a.id, b.id].sort().join(':') })).toHaveLength(1);
  });
});

describe('block and unblock', () => {
  it('either participant blocks; only the blocker unblocks, back to the status before', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    await b.http.post(`/api/chats/${chatId}/accept`);
    const blocked = await a.http.post(`/api/chats/${chatId}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({
      message: 'User blocked successfully',
      data: { status: 'blocked', blockedBy: a.id },
    });
    expect((await b.http.post(`/api/chats/${chatId}/block`)).status).toBe(409);
    const byBlocked = await b.http.post(`/api/chats/${chatId}/unblock`);
    expect(byBlocked.status).toBe(403);
    expect((await stored(chatId)).status).toBe('blocked');
    const unblocked = await a.http.post(`/api/chats/${chatId}/unblock`);
    expect(unblocked.status).toBe(200);
    expect(unblocked.body).toMatchObject({
      message: 'User unblocked successfully',
      data: { status: 'accepted', blockedBy: null },
    });
    const doc = await stored(chatId);
    expect(doc.status).toBe('accepted');
    expect(doc.blockedBy).toBeNull();
    expect((await a.http.post(`/api/chats/${chatId}/unblock`)).status).toBe(409);
  });

  it('the recipient blocks a pending request; unblocking returns it to pending', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    expect((await b.http.post(`/api/chats/${chatId}/block`)).body.data).toMatchObject({
      status: 'blocked',
      blockedBy: b.id,
    });
    expect((await b.http.post(`/api/chats/${chatId}/accept`)).status).toBe(409);
    // Asking again while blocked changes nothing.
    const again = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    expect(again.body.data.status).toBe('blocked');
    expect((await b.http.post(`/api/chats/${chatId}/unblock`)).body.data.status).toBe('pending');
  });
});

describe('archive', () => {
  it('toggles the caller flag only: hidden from their active list, still in the other user list', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    await b.http.post(`/api/chats/${chatId}/accept`);
    expect(ids(await a.http.get('/api/chats/active'))).toEqual([chatId]);
    const archived = await a.http.post(`/api/chats/${chatId}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({
      message: 'Chat archived successfully',
      data: { _id: chatId, isArchived: true },
    });
    expect((await stored(chatId)).archivedBy.map(String)).toEqual([a.id]);
    expect(ids(await a.http.get('/api/chats/active'))).toEqual([]);
    expect(ids(await b.http.get('/api/chats/active'))).toEqual([chatId]);
    expect((await b.http.get(`/api/chats/${chatId}`)).body.data.isArchived).toBe(false);
    expect(ids(await a.http.get(`/api/chats/user/${a.id}/history`))).toEqual([]);
    expect(ids(await a.http.get(`/api/chats/user/${a.id}/history?includeArchived=true`))).toEqual([chatId]);
    const back = await a.http.post(`/api/chats/${chatId}/archive`);
    expect(back.body).toMatchObject({ message: 'Chat unarchived successfully', data: { isArchived: false } });
    expect(ids(await a.http.get('/api/chats/active'))).toEqual([chatId]);
  });
});

describe('delete', () => {
  it('hides the chat for the caller only; or-create brings it back for them', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    await b.http.post(`/api/chats/${chatId}/accept`);
    const res = await a.http.delete(`/api/chats/${chatId}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 200, message: 'Chat deleted successfully' });
    const doc = await stored(chatId);
    expect(doc.hiddenFor.map(String)).toEqual([a.id]);
    expect(doc.clearedAt[a.id]).toBeInstanceOf(Date);
    expect(ids(await a.http.get('/api/chats/active'))).toEqual([]);
    expect(ids(await a.http.get(`/api/chats/user/${a.id}/history?includeArchived=true`))).toEqual([]);
    expect(ids(await b.http.get('/api/chats/active'))).toEqual([chatId]);
    const back = await a.http.post('/api/chats/or-create', { recipientId: b.id });
    expect(back.status).toBe(200);
    expect(back.body.data).toMatchObject({ _id: chatId, status: 'accepted', messageCount: 0 });
    expect((await stored(chatId)).hiddenFor).toEqual([]);
    expect(ids(await a.http.get('/api/chats/active'))).toEqual([chatId]);
  });

  it('a deleted pending request disappears from the recipient requests', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    await b.http.delete(`/api/chats/${chatId}`);
    expect(ids(await b.http.get('/api/chats/requests'))).toEqual([]);
  });
});

describe('active chats and history lists', () => {
  it('active lists accepted and auto_accepted chats only, newest first, with the caller unread count as a number', async () => {
    const [a, b, c] = users();
    const d = newUser(world.edgeUrl);
    const ab = await request(a, b);
    await b.http.post(`/api/chats/${ab}/accept`);
    const ac = await request(a, c);
    await c.http.post('/api/chats/or-create', { recipientId: a.id }); // auto_accepted
    await request(a, d); // pending: not active
    const res = await a.http.get('/api/chats/active');
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Active chats found');
    expect(ids(res)).toEqual([ac, ab]);
    expect(res.body.pagination).toEqual({ total: 2, page: 1, limit: 50 });
    for (const chat of res.body.data) expect(typeof chat.unreadCount).toBe('number');
    const page2 = await a.http.get('/api/chats/active?limit=1&page=2');
    expect(ids(page2)).toEqual([ab]);
    expect(page2.body.pagination).toEqual({ total: 2, page: 2, limit: 1 });
  });

  it('history lists the caller chats in every status with messageCount, and only for the caller', async () => {
    const [a, b, c] = users();
    const ab = await request(a, b);
    const ca = await request(c, a);
    await a.http.post(`/api/chats/${ca}/reject`);
    const res = await a.http.get(`/api/chats/user/${a.id}/history`);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Chat history retrieved successfully');
    expect(ids(res)).toEqual([ca, ab]);
    expect(res.body.data.map((x: { status: string }) => x.status)).toEqual(['rejected', 'pending']);
    for (const chat of res.body.data) expect(chat.messageCount).toBe(0);
    expect(res.body.pagination).toEqual({ total: 2, page: 1, limit: 50 });
    const other = await b.http.get(`/api/chats/user/${a.id}/history`);
    expect(other.status).toBe(403);
    expect((await a.http.get('/api/chats/user/not-an-id/history')).status).toBe(400);
  });

  it('refuses bad paging and filters with 400: limit 0 or 1000, page -1 or 0, non-numbers, operators, repeats', async () => {
    const [a] = users();
    const bad = [
      'limit=0',
      'limit=1000',
      'limit=101',
      'page=-1',
      'page=0',
      'page=1001',
      'limit=abc',
      'limit=1e2',
      'limit=10&limit=20',
      'limit[$gt]=1',
      'page[$ne]=1',
      'sort=anything',
    ];
    for (const path of ['/api/chats/active', '/api/chats/requests', `/api/chats/user/${a.id}/history`]) {
      for (const q of bad) {
        const res = await a.http.get(`${path}?${q}`);
        expect(res.status, `${path}?${q}`).toBe(400);
        expect(res.body.status).toBe(400);
      }
    }
    for (const q of [
      'includeArchived=yes',
      'includeArchived=1',
      'includeArchived[$ne]=x',
      'includeArchived=true&includeArchived=false',
    ]) {
      expect((await a.http.get(`/api/chats/user/${a.id}/history?${q}`)).status, q).toBe(400);
    }
    expect((await a.http.get(`/api/chats/user/${a.id}/history?includeArchived=false&limit=100&page=3`)).status).toBe(
      200,
    );
  });

  it('operator objects in action query strings are refused', async () => {
    const [a, b] = users();
    const chatId = await request(a, b);
    expect((await b.http.post(`/api/chats/${chatId}/accept?status[$ne]=x`)).status).toBe(400);
    expect((await stored(chatId)).status).toBe('pending');
  });
});
