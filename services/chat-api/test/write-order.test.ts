import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { messageSend } from '@chat/contracts';
import { AppError, Bus, createLogger } from '@chat/platform';
import { api, NATS_TEST_CREDENTIALS } from '@chat/testkit';
import { newUser, startWorld, type ChatApiWorld, type TestUser } from './harness.js';

/**
 * Commands (or-create, accept, block, archive, delete) raced against bursts of real sends
 * into the same chat, through the real stack: message-api (a process) stores the sends and
 * publishes their events, two chat-api replicas project them and take the commands. Once the
 * projection has applied every send, each user's lists, counts and the chat's state must be
 * exactly what the commands and sends say in the order they happened: a message belongs to a
 * user's view when it was created after their last delete (`createdAt > clearedAt`, the rule
 * message-api's history uses), so one sent before the delete never brings the chat back nor
 * counts for them, and one sent after it does.
 */

let world: ChatApiWorld;
let bus: Bus;
let replicaUrl: string;
/** Chat events as JetStream stored them (core subscribers get them in stream order), by chat. */
const chatEvents = new Map<string, { type: string; actorId: string; status: string }[]>();
const seenEvents = new Set<string>();
/** The `created` events message-api published, by chat: each message's rev and seq, by its (unique) content. */
const createdEvents = new Map<string, { rev: number; seq: number; content: string }[]>();

beforeAll(async () => {
  world = await startWorld({}, { messageApi: true });
  replicaUrl = (await world.addReplica()).url;
  bus = await Bus.connect({
    credentials: NATS_TEST_CREDENTIALS,
    url: world.infra.natsUrl,
    name: 'write-order-test',
    logger: createLogger('test', 'silent'),
    timeoutMs: 10_000,
  });
  bus.nc.subscribe('chats.*.*', {
    callback: (_err, msg) => {
      const [, chatId, type] = msg.subject.split('.');
      if (!chatId || !type) return;
      const event = msg.json<{ eventId: string; data: { actorId: string; status: string } }>();
      // A publish retried after a slow first try reaches core subscribers twice; JetStream stores
      // the first copy it got, which is the first one seen here.
      if (seenEvents.has(event.eventId)) return;
      seenEvents.add(event.eventId);
      const list = chatEvents.get(chatId) ?? [];
      list.push({ type, actorId: event.data.actorId, status: event.data.status });
      chatEvents.set(chatId, list);
    },
  });
  bus.nc.subscribe('messages.*.created.*', {
    callback: (_err, msg) => {
      const { chatId, data } = msg.json<{ chatId: string; data: { rev: number; seq: number; content: string } }>();
      const list = createdEvents.get(chatId) ?? [];
      if (!list.some((m) => m.rev === data.rev)) list.push({ rev: data.rev, seq: data.seq, content: data.content });
      createdEvents.set(chatId, list);
    },
  });
});
afterAll(async () => {
  await bus?.drain();
  await world?.stop();
});

const ITERATIONS = 100;
const PARALLEL = 5;
const BURST = 4;

/** Equality with both sides in the message (the failures of all iterations are reported together). */
const same = (where: string, actual: unknown, expected: unknown) =>
  expect(actual, `${where}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`).toEqual(expected);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (max: number) => sleep(Math.floor(Math.random() * max));

interface Sent {
  from: string;
  to: string;
  content: string;
  createdAt: Date;
}

/** One chat between a (requester) and b, and what happened to it. */
class Race {
  readonly a: TestUser = newUser(world.edgeUrl);
  readonly b: TestUser = newUser(world.edgeUrl);
  chatId = '';
  readonly sent: Sent[] = [];
  /** Each stored message's seq (by its unique content): the order the preview follows. */
  readonly seqOf = new Map<string, number>();
  refused = 0;

  /** Commands go to either replica at random (the edge in front of the first, the second directly). */
  http(user: TestUser) {
    return Math.random() < 0.5 ? user.http : api(replicaUrl, user.token);
  }

  async open(accepted: boolean) {
    const res = await this.a.http.post('/api/chats/or-create', { recipientId: this.b.id });
    expect(res.status).toBe(201);
    this.chatId = res.body.data._id;
    if (accepted) expect((await this.b.http.post(`/api/chats/${this.chatId}/accept`)).status).toBe(200);
  }

  /** One real send (as the gateway makes it); a refusal for the chat's status is counted, not thrown. */
  async send(from: TestUser, content: string, mayBeRefused = false) {
    const to = from === this.a ? this.b : this.a;
    try {
      const ack = await bus.request(
        messageSend,
        { chatId: this.chatId, content, clientMessageId: randomUUID() },
        { userId: from.id },
      );
      this.sent.push({ from: from.id, to: to.id, content, createdAt: new Date(ack.timestamp) });
    } catch (err) {
      if (mayBeRefused && err instanceof AppError && err.code === 'FORBIDDEN') this.refused += 1;
      else throw err;
    }
  }

  /** `n` sends from `from`, one after another, starting after a little jitter. */
  async burst(from: TestUser, n: number, mayBeRefused = false) {
    await jitter(10);
    for (let i = 0; i < n; i++)
      await this.send(from, `${from === this.a ? 'a' : 'b'}${i} ${randomUUID()}`, mayBeRefused);
  }

  async command(user: TestUser, method: 'post' | 'delete', path: string, expected = 200) {
    const res =
      method === 'post'
        ? await this.http(user).post(`/api/chats/${this.chatId}${path}`)
        : await this.http(user).delete(`/api/chats/${this.chatId}`);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(expected);
    return res.body;
  }

  /** Waits until every send's event is out, the projection has applied them all, and the chat's outbox is empty. */
  async settled() {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const created = createdEvents.get(this.chatId) ?? [];
      const [doc] = await world.storedChats({ _id: new Types.ObjectId(this.chatId) });
      const applied = doc?.appliedRevs ?? { floor: 0, revs: [] };
      const done =
        created.length === this.sent.length &&
        created.every((m) => m.rev <= applied.floor || applied.revs.includes(m.rev)) &&
        (doc?.outbox ?? []).length === 0;
      if (done) {
        for (const m of created) this.seqOf.set(m.content, m.seq);
        return doc!;
      }
      if (Date.now() > deadline)
        throw new Error(
          `chat ${this.chatId} never settled: ${created.length} created events of ${this.sent.length} sends, ${JSON.stringify(doc)}`,
        );
      await sleep(25);
    }
  }

  /**
   * Checks every view of `user` against what happened: `expected` says the status and flags;
   * the counts, the preview and whether the chat is deleted for them follow from the sends.
   */
  async check(
    user: TestUser,
    doc: Record<string, any>,
    expected: { status: string; archived: boolean; /** or-create after the user's delete */ revived?: boolean },
  ) {
    const clearedAt: Date | undefined = doc.clearedAt?.[user.id];
    const visible = this.sent.filter((m) => !clearedAt || m.createdAt.getTime() > clearedAt.getTime());
    const deleted = clearedAt !== undefined && visible.length === 0 && !expected.revived;
    const newest = [...visible].sort((x, y) => this.seqOf.get(x.content)! - this.seqOf.get(y.content)!).at(-1);
    const where = `user ${user === this.a ? 'a' : 'b'} of chat ${this.chatId}`;

    const one = await user.http.get(`/api/chats/${this.chatId}`);
    expect(one.status).toBe(200);
    same(
      where,
      {
        status: one.body.data.status,
        isArchived: one.body.data.isArchived,
        unreadCount: one.body.data.unreadCount,
        messageCount: one.body.data.messageCount,
        lastMessage: one.body.data.lastMessage,
      },
      {
        status: expected.status,
        isArchived: expected.archived && !deleted,
        unreadCount: visible.filter((m) => m.to === user.id).length,
        messageCount: visible.length,
        lastMessage: newest?.content ?? null,
      },
    );

    const listed = async (path: string) =>
      ((await user.http.get(path)).body.data as { _id: string }[]).some((c) => c._id === this.chatId);
    const contact = expected.status === 'accepted' || expected.status === 'auto_accepted';
    same(
      where,
      {
        active: await listed('/api/chats/active'),
        requests: await listed('/api/chats/requests'),
        history: await listed(`/api/chats/user/${user.id}/history`),
        historyWithArchived: await listed(`/api/chats/user/${user.id}/history?includeArchived=true`),
      },
      {
        active: contact && !deleted && !expected.archived,
        requests: expected.status === 'pending' && user === this.b && !deleted,
        history: !deleted && !expected.archived,
        historyWithArchived: !deleted,
      },
    );

    // The history message-api shows them holds exactly the messages their counts counted.
    const messages = await user.http.get(`/api/chats/${this.chatId}/messages?limit=100`);
    expect(messages.status).toBe(200);
    same(
      `${where}: history`,
      (messages.body.data as { content: string }[]).map((m) => m.content).sort(),
      visible.map((m) => m.content).sort(),
    );

    // The last chat event about this user's delete / restore says what the list says.
    const mine = (chatEvents.get(this.chatId) ?? []).filter(
      (e) => (e.type === 'deleted' || e.type === 'restored') && e.actorId === user.id,
    );
    if (clearedAt)
      expect(mine.at(-1)?.type, `${where}: chat events ${JSON.stringify(mine)}`).toBe(deleted ? 'deleted' : 'restored');
  }

  /** The last chat event published carries the chat's final status. */
  checkLastEvent(status: string) {
    const events = chatEvents.get(this.chatId) ?? [];
    expect(events.at(-1)?.status, `chat ${this.chatId}: chat events ${JSON.stringify(events)}`).toBe(status);
  }
}

/** What each iteration does; each ends with what every user must see. */
const scenarios: Record<string, () => Promise<void>> = {
  /** a sends, then deletes at once while b keeps sending; sometimes b writes again after the delete. */
  async 'delete right after sending'() {
    const r = new Race();
    await r.open(true);
    await Promise.all([
      r.burst(r.b, BURST),
      (async () => {
        await r.send(r.a, 'last words');
        await r.command(r.a, 'delete', '');
        if (Math.random() < 0.5) await r.send(r.b, 'after the delete');
      })(),
      r.burst(r.a, BURST - 1),
    ]);
    const doc = await r.settled();
    await r.check(r.a, doc, { status: 'accepted', archived: false });
    await r.check(r.b, doc, { status: 'accepted', archived: false });
    r.checkLastEvent('accepted');
  },

  /** Both delete while both send; a comes back through or-create once its delete is done. */
  async 'both delete, one or-creates'() {
    const r = new Race();
    await r.open(true);
    await Promise.all([
      r.burst(r.a, BURST),
      r.burst(r.b, BURST),
      (async () => {
        await jitter(20);
        await r.command(r.a, 'delete', '');
        await jitter(10);
        expect((await r.http(r.a).post('/api/chats/or-create', { recipientId: r.b.id })).status).toBe(200);
      })(),
      (async () => {
        await jitter(20);
        await r.command(r.b, 'delete', '');
      })(),
    ]);
    const doc = await r.settled();
    // or-create brought it back for a, with the sends before a's delete still hidden.
    await r.check(r.a, doc, { status: 'accepted', archived: false, revived: true });
    await r.check(r.b, doc, { status: 'accepted', archived: false });
  },

  /** a toggles archive twice at once (ends unarchived), b once (ends archived), while both send. */
  async 'archive toggles'() {
    const r = new Race();
    await r.open(true);
    const [, , a1, a2, b1] = await Promise.all([
      r.burst(r.a, BURST),
      r.burst(r.b, BURST),
      jitter(15).then(() => r.command(r.a, 'post', '/archive')),
      jitter(15).then(() => r.command(r.a, 'post', '/archive')),
      jitter(15).then(() => r.command(r.b, 'post', '/archive')),
    ]);
    // Two toggles in a row: one archived, the other unarchived.
    expect([a1.data.isArchived, a2.data.isArchived].sort()).toEqual([false, true]);
    expect(b1.data.isArchived).toBe(true);
    const doc = await r.settled();
    await r.check(r.a, doc, { status: 'accepted', archived: false });
    await r.check(r.b, doc, { status: 'accepted', archived: true });
    r.checkLastEvent('accepted');
  },

  /** b blocks in the middle of both bursts (later sends are refused) while a archives. */
  async 'block during sends'() {
    const r = new Race();
    await r.open(true);
    await Promise.all([
      r.burst(r.a, BURST, true),
      r.burst(r.b, BURST, true),
      jitter(20).then(() => r.command(r.b, 'post', '/block')),
      jitter(20).then(() => r.command(r.a, 'post', '/archive')),
    ]);
    const doc = await r.settled();
    await r.check(r.a, doc, { status: 'blocked', archived: true });
    await r.check(r.b, doc, { status: 'blocked', archived: false });
    expect(doc.blockedBy.toString()).toBe(r.b.id);
    r.checkLastEvent('blocked');
  },

  /** A pending request: a keeps sending while b accepts and then deletes. */
  async 'accept then delete during sends'() {
    const r = new Race();
    await r.open(false);
    await Promise.all([
      r.burst(r.a, BURST * 2),
      (async () => {
        await jitter(20);
        await r.command(r.b, 'post', '/accept');
        await jitter(10);
        await r.command(r.b, 'delete', '');
      })(),
    ]);
    const doc = await r.settled();
    await r.check(r.a, doc, { status: 'accepted', archived: false });
    await r.check(r.b, doc, { status: 'accepted', archived: false });
    r.checkLastEvent('accepted');
  },
};

describe('one order of writes per chat', () => {
  it(`commands raced against sends leave every list, count and state as they happened (${ITERATIONS} chats)`, async () => {
    const names = Object.keys(scenarios);
    const failures: string[] = [];
    for (let start = 0; start < ITERATIONS; start += PARALLEL) {
      await Promise.all(
        Array.from({ length: Math.min(PARALLEL, ITERATIONS - start) }, async (_, k) => {
          const name = names[(start + k) % names.length]!;
          try {
            await scenarios[name]!();
          } catch (err) {
            failures.push(`#${start + k} ${name}: ${(err as Error).message.split('\n')[0]}`);
          }
        }),
      );
    }
    if (failures.length > 0)
      console.log(`${failures.length} of ${ITERATIONS} iterations failed:\n${failures.join('\n')}`);
    expect(failures, `${failures.length} of ${ITERATIONS} iterations failed:\n${failures.join('\n\n')}`).toEqual([]);
  }, 180_000);
});
