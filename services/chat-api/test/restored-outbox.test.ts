import { NATS_TEST_CREDENTIALS } from '@chat/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAMS, chatEventSchema, messageSubjects, type ChatEvent } from '@chat/contracts';
import { Bus, createLogger } from '@chat/platform';
import { newUser, startWorld, type ChatApiWorld } from './harness.js';

let world: ChatApiWorld;
let bus: Bus;

beforeAll(async () => {
  world = await startWorld({ OUTBOX_RELAY_INTERVAL_MS: '200', OUTBOX_RELAY_AFTER_MS: '200' });
  bus = await Bus.connect({
    credentials: NATS_TEST_CREDENTIALS,
    url: world.infra.natsUrl,
    name: 'restored-test',
    logger: createLogger('t', 'silent'),
    timeoutMs: 3000,
  });
  // MESSAGES is message-api's, which this world does not run: the test declares it in its place.
  await bus.ensureStreams([STREAMS.messages]);
});
afterAll(async () => {
  await bus?.drain();
  await world?.stop();
});

describe('a chat brought back by a new message', () => {
  it('publishes restored through the outbox, so an event whose first publish failed still arrives', async () => {
    const a = newUser(world.edgeUrl);
    const b = newUser(world.edgeUrl);
    const chatId = (await a.http.post('/api/chats/or-create', { recipientId: b.id })).body.data._id as string;
    await b.http.post(`/api/chats/${chatId}/accept`);
    expect((await b.http.delete(`/api/chats/${chatId}`)).status).toBe(200);

    // CHATS is gone while the message arrives: the first publish of `restored` fails.
    const jsm = await jetstreamManager(bus.nc);
    await jsm.streams.delete(STREAMS.chats.name);
    const event = {
      eventId: randomUUID(),
      type: 'created',
      chatId,
      occurredAt: new Date().toISOString(),
      data: {
        messageId: new Types.ObjectId().toHexString(),
        rev: 1,
        seq: 1,
        senderId: a.id,
        receiverId: b.id,
        content: 'are you there?',
        messageType: 'text',
        media: null,
        clientMessageId: randomUUID(),
        replyTo: null,
        createdAt: new Date().toISOString(),
      },
    };
    await bus.js.publish(messageSubjects.event(chatId, 'created', event.data.messageId), JSON.stringify(event), {
      msgID: event.eventId,
    });
    await expect
      .poll(async () => (await b.http.get('/api/chats/active')).body.data.map((c: { _id: string }) => c._id), {
        timeout: 20_000,
      })
      .toContain(chatId);

    // A live subscriber would have seen the failed publish; what counts is what the stream stores.
    await bus.ensureStreams([STREAMS.chats]);
    const storedRestored = async (): Promise<ChatEvent | null> => {
      const stored = await jsm.streams
        .getMessage(STREAMS.chats.name, { last_by_subj: `chats.${chatId}.restored` })
        .catch(() => null);
      return stored ? chatEventSchema.parse(stored.json()) : null;
    };
    await expect.poll(storedRestored, { timeout: 20_000, interval: 200 }).not.toBeNull();
    expect(await storedRestored()).toMatchObject({ type: 'restored', chatId, data: { actorId: b.id, chatId } });
  });

  it('a chat change whose publish failed is left flagged in the outbox, and the relay publishes it', async () => {
    const a = newUser(world.edgeUrl);
    const b = newUser(world.edgeUrl);
    const chatId = (await a.http.post('/api/chats/or-create', { recipientId: b.id })).body.data._id as string;
    const jsm = await jetstreamManager(bus.nc);
    await jsm.streams.delete(STREAMS.chats.name);
    expect((await b.http.post(`/api/chats/${chatId}/archive`)).status).toBe(200);
    const [doc] = await world.storedChats({ _id: new Types.ObjectId(chatId) });
    expect(doc).toMatchObject({ outboxPending: true, outbox: [{ type: 'archived', actorId: b.id }] });

    await bus.ensureStreams([STREAMS.chats]);
    const storedArchived = () =>
      jsm.streams.getMessage(STREAMS.chats.name, { last_by_subj: `chats.${chatId}.archived` }).catch(() => null);
    await expect.poll(storedArchived, { timeout: 20_000, interval: 200 }).not.toBeNull();
    await expect
      .poll(async () => (await world.storedChats({ _id: new Types.ObjectId(chatId) }))[0], { timeout: 5_000 })
      .toMatchObject({ outboxPending: false, outbox: [] });
  });
});
