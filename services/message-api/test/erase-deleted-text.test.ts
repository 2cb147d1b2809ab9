import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, DeliverPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  messageDelete,
  messageEdit,
  messageReact,
  messageRead,
  messageSend,
  messageSendMedia,
  STREAMS,
} from '@chat/contracts';
import { TEXT_ERASER_DURABLE } from '../src/entry/bus/text-eraser.js';
import { startWorld, uploadImage, type TestUser, type World } from './harness.js';

let w: World;
let jsm: JetStreamManager;
/** While on, message-api's publishes of `created` events fail (they wait in the outbox for the relay). */
let createdFails = false;

beforeAll(async () => {
  w = await startWorld({
    // Allowed answers kept long: commands go through while chat-api is paused (its projection behind).
    env: { ACCESS_CACHE_TTL_MS: '120000', TEXT_ERASE_RETRY_MS: '200' },
    publisher: (bus) => ({
      async publish(subject, event) {
        if (createdFails && subject.split('.')[2] === 'created') throw new Error('simulated: publish failed');
        await bus.publish(subject, event);
      },
    }),
  });
  jsm = await jetstreamManager(w.bus.nc);
});
afterAll(async () => {
  await w?.stop();
});

interface StoredEvent {
  seq: number;
  subject: string;
  raw: string;
  event: any;
}

/** Every event the MESSAGES stream still holds, read one sequence at a time from its first (this file's own NATS). */
async function streamEvents(): Promise<StoredEvent[]> {
  const { state } = await jsm.streams.info(STREAMS.messages.name);
  const events: StoredEvent[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.messages.name, { seq });
    if (!m) continue; // deleted
    const raw = new TextDecoder().decode(m.data);
    events.push({ seq, subject: m.subject, raw, event: JSON.parse(raw) });
  }
  return events;
}

const holding = (events: StoredEvent[], text: string) => events.filter((e) => e.raw.includes(text));
const ofMessage = (events: StoredEvent[], messageId: string) =>
  events.filter((e) => e.event.data?.messageId === messageId).map((e) => e.event.type);

/** The chat as `user` sees it through the edge (chat-api's projection). */
const chatOf = async (user: TestUser, chatId: string) => (await user.http.get(`/api/chats/${chatId}`)).body.data;

/** Resolves once the eraser has tried the deletion, put it back to wait, and had time for several more tries. */
async function eraserWaited() {
  await expect
    .poll(async () => (await jsm.consumers.info(STREAMS.messages.name, TEXT_ERASER_DURABLE)).num_redelivered, {
      timeout: 10_000,
    })
    .toBe(1);
  await new Promise((r) => setTimeout(r, 1_000)); // five more tries (TEXT_ERASE_RETRY_MS 200)
  expect((await jsm.consumers.info(STREAMS.messages.name, TEXT_ERASER_DURABLE)).num_ack_pending).toBe(1);
}

/** Resolves once the eraser has handled every deletion published so far. */
async function eraserIdle() {
  await expect
    .poll(
      async () => {
        const info = await jsm.consumers.info(STREAMS.messages.name, TEXT_ERASER_DURABLE);
        return info.num_pending + info.num_ack_pending;
      },
      { timeout: 15_000 },
    )
    .toBe(0);
}

describe('a message deleted for everyone', () => {
  it('no longer has its text in any event of the MESSAGES stream, edits included, while the other message of the chat keeps its own', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const keep = await w.command(messageSend, alice, { chatId, content: 'keep: see you at noon' });
    await w.command(messageEdit, alice, { chatId, messageId: keep.messageId, newContent: 'keep: see you at one' });
    const secret = await w.command(messageSend, alice, { chatId, content: 'secret: the code is 4711' });
    await w.command(messageEdit, alice, { chatId, messageId: secret.messageId, newContent: 'secret: no, 4712' });
    await w.command(messageEdit, alice, { chatId, messageId: secret.messageId, newContent: 'secret: really 4713' });
    await w.command(messageReact, bob, { chatId, messageId: secret.messageId, emoji: '👍' });
    // Stored in the stream with its text first (so the test can see it go).
    await expect.poll(async () => holding(await streamEvents(), 'secret: ').length).toBe(3);

    await w.command(messageDelete, alice, { chatId, messageId: secret.messageId });

    await expect.poll(async () => holding(await streamEvents(), 'secret: ').length, { timeout: 15_000 }).toBe(0);
    const events = await streamEvents();
    // Its events without text stay (consumers and replays still learn it was deleted).
    expect(ofMessage(events, secret.messageId).sort()).toEqual(['deleted', 'reaction_added']);
    // The other message of the chat keeps every event, text included.
    expect(ofMessage(events, keep.messageId)).toEqual(['created', 'edited']);
    expect(holding(events, 'keep: see you at noon')).toHaveLength(1);
    expect(holding(events, 'keep: see you at one')).toHaveLength(1);
    // chat-api projected every event: the deleted message counted, then taken off again.
    await expect
      .poll(async () => {
        const chat = await chatOf(bob, chatId);
        return { unread: chat.unreadCount, last: chat.lastMessage };
      })
      .toEqual({ unread: 1, last: null });
  });

  it('no longer has its media URL and file name in the stream', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const file = await uploadImage(alice, chatId);
    const media = await w.command(messageSendMedia, alice, {
      chatId,
      messageType: 'image',
      media: { url: file.url, fileId: file.fileId, fileName: 'holiday.png' },
      content: 'caption: on the beach',
    });
    await expect.poll(async () => holding(await streamEvents(), file.url).length).toBe(1);

    await w.command(messageDelete, alice, { chatId, messageId: media.messageId });

    await expect.poll(async () => holding(await streamEvents(), file.url).length, { timeout: 15_000 }).toBe(0);
    const events = await streamEvents();
    expect(holding(events, 'caption: on the beach')).toHaveLength(0);
    expect(ofMessage(events, media.messageId)).toEqual(['deleted']);
  });

  it("waits while chat-api's projection is behind, then erases once it has acknowledged the events, and the projection missed none", async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const first = await w.command(messageSend, alice, { chatId, content: 'slow: hello' });
    // Warm message-api's access answers for what follows (chat-api will not answer while paused).
    await w.command(messageRead, alice, { chatId, messageIds: [first.messageId] });
    await expect.poll(async () => (await chatOf(bob, chatId)).unreadCount).toBe(1);

    w.chatApi.process.kill('SIGSTOP');
    try {
      const secret = await w.command(messageSend, alice, { chatId, content: 'slow: the secret' });
      await w.command(messageEdit, alice, { chatId, messageId: secret.messageId, newContent: 'slow: the secret, v2' });
      await w.command(messageDelete, alice, { chatId, messageId: secret.messageId });
      await eraserWaited();
      // The projection has not acknowledged them: they are still there for it.
      const events = await streamEvents();
      expect(holding(events, 'slow: the secret')).toHaveLength(2);
      expect(ofMessage(events, secret.messageId)).toEqual(['created', 'edited', 'deleted']);
    } finally {
      w.chatApi.process.kill('SIGCONT');
    }

    await expect
      .poll(async () => holding(await streamEvents(), 'slow: the secret').length, { timeout: 20_000 })
      .toBe(0);
    // It got the created event before it went: without it the delete would have taken bob's count to 0.
    await expect
      .poll(async () => {
        const chat = await chatOf(bob, chatId);
        return { unread: chat.unreadCount, last: chat.lastMessage };
      })
      .toEqual({ unread: 1, last: null });
    expect(holding(await streamEvents(), 'slow: hello')).toHaveLength(1);
  });

  it('waits for every durable consumer (a gateway node behind), which receives every event of a message edited several times', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const durable = 'test-gateway-behind';
    await jsm.consumers.add(STREAMS.messages.name, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: STREAMS.messages.subjects[0],
    });
    try {
      const secret = await w.command(messageSend, alice, { chatId, content: 'gw: version 1' });
      for (const v of [2, 3, 4])
        await w.command(messageEdit, alice, { chatId, messageId: secret.messageId, newContent: `gw: version ${v}` });
      await w.command(messageDelete, alice, { chatId, messageId: secret.messageId });
      await eraserWaited();
      expect(holding(await streamEvents(), 'gw: version')).toHaveLength(4);

      // The lagging consumer catches up: every event of the message, with its text, reaches it.
      const consumer = await w.bus.js.consumers.get(STREAMS.messages.name, durable);
      const received: any[] = [];
      while (!received.some((e) => e.type === 'deleted')) {
        const m = await consumer.next({ expires: 5_000 });
        if (!m) throw new Error('the lagging consumer got no more events');
        received.push(m.json());
        m.ack();
      }
      const ofSecret = received.filter((e) => e.data.messageId === secret.messageId);
      expect(ofSecret.map((e) => e.data.content ?? e.data.newContent ?? e.type)).toEqual([
        'gw: version 1',
        'gw: version 2',
        'gw: version 3',
        'gw: version 4',
        'deleted',
      ]);
      await expect.poll(async () => holding(await streamEvents(), 'gw: version').length, { timeout: 15_000 }).toBe(0);
    } finally {
      await jsm.consumers.delete(STREAMS.messages.name, durable);
    }
  });

  it('waits for its created event still in the outbox, which lands after the delete, and erases it too; the chat never shows it as its preview', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    createdFails = true;
    let late: { messageId: string };
    try {
      late = await w.command(messageSend, alice, { chatId, content: 'late: published after its delete' });
      await w.command(messageDelete, alice, { chatId, messageId: late.messageId });
      await expect.poll(async () => ofMessage(await streamEvents(), late.messageId)).toEqual(['deleted']);
      await eraserWaited();
    } finally {
      createdFails = false;
    }
    // The relay publishes it now, after the delete, from the tombstone: without its text.
    const relayed = await w.waitForEvent(
      (e) => e.event.type === 'created' && e.event.data.messageId === late.messageId,
    );
    expect(relayed.event.data.content).toBe('');
    expect(JSON.stringify(w.events)).not.toContain('late: published');
    // And it is erased from the stream all the same.
    await expect
      .poll(async () => ofMessage(await streamEvents(), late.messageId), { timeout: 15_000 })
      .toEqual(['deleted']);
    await eraserIdle();
    // chat-api projected the delete before the created: the late created never became the preview.
    await expect
      .poll(async () => {
        const chat = await chatOf(bob, chatId);
        return { messages: chat.messageCount, unread: chat.unreadCount, last: chat.lastMessage };
      })
      .toEqual({ messages: 0, unread: 0, last: null });
    expect((await chatOf(alice, chatId)).lastMessage).toBeNull();
  });
});

describe('a message hidden by one user', () => {
  it('keeps its text in the stream: the other participant still reads it', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const msg = await w.command(messageSend, alice, { chatId, content: 'hidden: only from bob' });
    await w.command(messageDelete, bob, { chatId, messageId: msg.messageId, scope: 'me' });
    await expect.poll(async () => ofMessage(await streamEvents(), msg.messageId)).toContain('deleted');
    await eraserIdle();
    const events = await streamEvents();
    expect(holding(events, 'hidden: only from bob')).toHaveLength(1);
    expect(ofMessage(events, msg.messageId)).toEqual(['created', 'deleted']);
  });
});
