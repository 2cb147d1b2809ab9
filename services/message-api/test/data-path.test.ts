import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { messageDelete, messageEdit, messageRead, messageSend } from '@chat/contracts';
import { AppError } from '@chat/platform';
import { startWorld, type TestUser, type World } from './harness.js';

let w: World;

beforeAll(async () => {
  w = await startWorld({ env: { SEARCH_WINDOW: '5' } });
});
afterAll(async () => {
  await w?.stop();
});

const stored = (chatId: string) => w.stored({ chatId: new ObjectId(chatId) });

describe('numbering without a lock', () => {
  it('gives two concurrent senders on two replicas distinct seq in send order and distinct, increasing revs', async () => {
    const replica = await w.addReplica();
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    // Rounds of two sends at the same instant, one per replica (queue groups spread them);
    // each round starts after the previous one was answered, so rounds are in send order.
    const rounds: string[][] = [];
    for (let r = 0; r < 6; r++) {
      const acks = await Promise.all([
        w.command(messageSend, a, { chatId, content: `a${r}` }),
        w.command(messageSend, b, { chatId, content: `b${r}` }),
      ]);
      rounds.push(acks.map((x) => x.messageId));
    }
    const docs = await stored(chatId);
    const seqOf = new Map(docs.map((d) => [String(d._id), d.seq as number]));
    expect(new Set(docs.map((d) => d.seq)).size).toBe(12);
    expect(new Set(docs.map((d) => d.rev)).size).toBe(12);
    for (let r = 1; r < rounds.length; r++) {
      const earlier = Math.max(...(rounds[r - 1] as string[]).map((id) => seqOf.get(id) as number));
      const later = Math.min(...(rounds[r] as string[]).map((id) => seqOf.get(id) as number));
      expect(later).toBeGreaterThan(earlier);
    }
    for (const d of docs) expect(d.rev).toBeGreaterThanOrEqual(d.seq); // one counter each, rev counts every change
    await replica.close();
  });

  it('reseeds the counters from the store when Redis lost them, and keeps numbering after the highest stored', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    for (let i = 0; i < 3; i++) await w.command(messageSend, a, { chatId, content: `before ${i}` });
    await w.redis.del(`chat-numbers:${chatId}`);
    await w.command(messageSend, b, { chatId, content: 'after the loss' });
    expect((await stored(chatId)).map((d) => d.seq)).toEqual([1, 2, 3, 4]);
  });

  it('takes new numbers when the counters are behind the store (a unique index refuses the repeat)', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    for (let i = 0; i < 3; i++) await w.command(messageSend, a, { chatId, content: `m${i}` });
    // As if Redis had been restored from an old snapshot.
    await w.redis.hset(`chat-numbers:${chatId}`, 'seq', 1, 'rev', 1);
    const ack = await w.command(messageSend, b, { chatId, content: 'numbered again' });
    const docs = await stored(chatId);
    expect(docs).toHaveLength(4);
    expect(docs.find((d) => String(d._id) === ack.messageId)?.seq).toBe(4);
  });
});

describe('deadlines', () => {
  it('a send whose caller timed out is either not stored, or stored once and returned by the retry', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    for (let i = 0; i < 20; i++) {
      const clientMessageId = `impatient-${i}`;
      const input = { chatId, content: `try ${i}`, clientMessageId };
      let answered: string | undefined;
      try {
        answered = (await w.bus.request(messageSend, input, { userId: a.id, timeoutMs: 1 + (i % 4) })).messageId;
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('UNAVAILABLE');
      }
      const retry = await w.command(messageSend, a, input);
      if (answered) expect(retry.messageId).toBe(answered);
      const copies = (await stored(chatId)).filter((d) => d.clientMessageId === clientMessageId);
      expect(copies.map((d) => String(d._id))).toEqual([retry.messageId]);
    }
  });

  it('drops a request whose deadline passed before it was handled: nothing is stored', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    const { headers } = await import('@nats-io/transport-node');
    const h = headers();
    h.set('x-user-id', a.id);
    h.set('x-deadline', String(Date.now() - 1));
    await expect(
      w.bus.nc.request(messageSend.subject, JSON.stringify({ chatId, content: 'too late' }), {
        timeout: 500,
        headers: h,
      }),
    ).rejects.toThrow();
    expect(await stored(chatId)).toHaveLength(0);
  });
});

describe('the change feed and writes in flight', () => {
  it('stops below a rev that was taken but not yet written, and passes it once it settles or expires', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    await w.command(messageSend, a, { chatId, content: 'one' });
    // Another writer has taken rev 2 and not written it yet; rev 3 lands first.
    const inFlight = `chat-inflight:${chatId}`;
    await w.redis.hincrby(`chat-numbers:${chatId}`, 'rev', 1);
    await w.redis.zadd(inFlight, 2, `${Date.now() + 60_000}:2`);
    await w.command(messageSend, b, { chatId, content: 'three' });
    const held = await a.http.get(`/api/chats/${chatId}/changes?since=0`);
    expect(held.body.data.changes.map((c: any) => c.rev)).toEqual([1]);
    expect(held.body.data).toMatchObject({ rev: 1, hasMore: true });
    // The writer died: its hold expires and the feed moves on.
    await w.redis.del(inFlight);
    await w.redis.zadd(inFlight, 2, `${Date.now() - 1}:2`);
    const moved = await a.http.get(`/api/chats/${chatId}/changes?since=1`);
    expect(moved.body.data.changes.map((c: any) => c.content)).toEqual(['three']);
    expect(moved.body.data.hasMore).toBe(false);
  });
});

describe('bounded search', () => {
  it('examines the newest window of seqs and says how to continue below it', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    for (let i = 1; i <= 12; i++) await w.command(messageSend, a, { chatId, content: `needle ${i}` });
    const first = await a.http.get(`/api/chats/${chatId}/search?q=needle`);
    expect(first.status).toBe(200);
    expect(first.body.data.map((m: any) => m.content)).toEqual([
      'needle 12',
      'needle 11',
      'needle 10',
      'needle 9',
      'needle 8',
    ]);
    expect(first.body.window).toEqual({ fromSeq: 8, toSeq: 12, complete: false, beforeSeq: 8 });
    const second = await a.http.get(`/api/chats/${chatId}/search?q=needle&beforeSeq=8`);
    expect(second.body.data.map((m: any) => m.content)).toEqual([
      'needle 7',
      'needle 6',
      'needle 5',
      'needle 4',
      'needle 3',
    ]);
    const last = await a.http.get(`/api/chats/${chatId}/search?q=needle&beforeSeq=3`);
    expect(last.body.data.map((m: any) => m.content)).toEqual(['needle 2', 'needle 1']);
    expect(last.body.window).toEqual({ fromSeq: 1, toSeq: 2, complete: true, beforeSeq: null });
    const bad = await a.http.get(`/api/chats/${chatId}/search?q=needle&beforeSeq=-1`);
    expect(bad.status).toBe(400);
  });

  it('answers an empty chat at once, complete', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    const res = await a.http.get(`/api/chats/${chatId}/search?q=anything`);
    expect(res.body).toMatchObject({ data: [], pagination: { total: 0 }, window: { complete: true, beforeSeq: null } });
  });
});

describe('unread counts', () => {
  it('equal the truth after a burst of concurrent sends and reads from both participants', async () => {
    const replica = await w.addReplica();
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    const sentBy = new Map<string, string>();
    const send = async (from: TestUser, i: number) => {
      const { messageId } = await w.command(messageSend, from, { chatId, content: `burst ${i}` });
      sentBy.set(messageId, from.id);
    };
    const readSome = async (reader: TestUser) => {
      const received = [...sentBy].filter(([, from]) => from !== reader.id).map(([id]) => id);
      await w.command(messageRead, reader, { chatId, messageIds: received.slice(-4) });
    };
    // Rounds of sends by both, concurrent with reads by both of what each had received so far.
    for (let round = 0; round < 5; round++) {
      const sends = Array.from({ length: 6 }, (_, i) => send(i % 2 ? a : b, round * 6 + i));
      const reads = round === 0 ? [] : [readSome(a), readSome(b)];
      await Promise.all([...sends, ...reads]);
    }
    const truth = async (user: TestUser) =>
      (await stored(chatId)).filter(
        (d) => String(d.receiverId) === user.id && !d.readBy.some((r: any) => String(r.userId) === user.id),
      ).length;
    const truths = [await truth(a), await truth(b)];
    expect(truths[0] + truths[1]).toBeGreaterThan(0); // some unread left, some read: both paths ran
    expect((await stored(chatId)).some((d) => d.readBy.length > 0)).toBe(true);
    for (const [k, user] of [a, b].entries()) {
      const expected = truths[k];
      await expect
        .poll(async () => (await user.http.get(`/api/chats/${chatId}`)).body.data.unreadCount, { timeout: 15_000 })
        .toBe(expected);
    }
    await replica.close();
  });
});

describe('unread counts when a message is hidden while it is read', () => {
  it('count each message off once: a read racing a delete for me is seen by the delete', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await w.command(messageSend, a, { chatId, content: `race ${i}` })).messageId);
    // b reads and hides each message at the same moment, as a client does when a person deletes
    // a message the page is marking read.
    await Promise.all(
      ids.flatMap((messageId) => [
        w.command(messageRead, b, { chatId, messageIds: [messageId] }),
        w.command(messageDelete, b, { chatId, messageId, scope: 'me' }),
      ]),
    );
    const docs = await stored(chatId);
    expect(docs.every((d) => d.deletedBy.some((u: any) => String(u) === b.id))).toBe(true);
    await expect
      .poll(async () => (await b.http.get(`/api/chats/${chatId}`)).body.data.unreadCount, { timeout: 15_000 })
      .toBe(0);
    // A new message counts as one, not zero: the count did not go below the truth.
    await w.command(messageSend, a, { chatId, content: 'after the race' });
    await expect
      .poll(async () => (await b.http.get(`/api/chats/${chatId}`)).body.data.unreadCount, { timeout: 15_000 })
      .toBe(1);
  });
});

// Last in this file: it stops the world's Redis.
describe('Redis down', () => {
  it('a send answers UNAVAILABLE and stores nothing; a change too', async () => {
    const [a, b] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(a, b);
    const { messageId } = await w.command(messageSend, a, { chatId, content: 'before the outage' });
    w.redis.on('error', () => undefined);
    await w.infra.redis.stop();
    expect(await w.refusal(messageSend, a, { chatId, content: 'during the outage' })).toBe('UNAVAILABLE');
    expect(await w.refusal(messageEdit, a, { chatId, messageId, newContent: 'edited in the outage' })).toBe(
      'UNAVAILABLE',
    );
    const docs = await stored(chatId);
    expect(docs.map((d) => d.content)).toEqual(['before the outage']);
  });
});
