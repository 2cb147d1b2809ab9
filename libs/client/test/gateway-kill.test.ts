import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatClient, ChatHandle, Message } from '@chat/client';
import { newUserId } from '@chat/testkit';
import {
  eventually,
  nodeOf,
  recordChat,
  sdkClient,
  serverMessages,
  sleep,
  startStack,
  type Stack,
} from './support/stack.js';

const PER_SIDE = 40;

/**
 * Two gateway nodes behind the edge, Alice on one and Bob on the other, both writing. Alice's
 * node is killed with SIGKILL mid-conversation: her client reconnects through the edge to the
 * other node, and both sides end with every message once, in order.
 */
describe('a gateway node killed mid-conversation', () => {
  let stack: Stack;
  const aliceId = newUserId();
  const bobId = newUserId();
  let alice: ChatClient;
  let bob: ChatClient;
  let chatId: string;
  let a: ChatHandle;
  let b: ChatHandle;
  const clients: ChatClient[] = [];

  /** A client of `userId` whose session the edge put on a node other than `avoid`'s. */
  async function clientAwayFrom(userId: string, avoid?: string): Promise<ChatClient> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const client = sdkClient(stack, userId, { socketOptions: { transports: ['websocket'] } });
      clients.push(client);
      await client.connect();
      if (nodeOf(client) !== avoid) return client;
      client.close();
    }
    throw new Error('the edge put every session on one gateway node');
  }

  beforeAll(async () => {
    stack = await startStack();
    const owner = sdkClient(stack, aliceId);
    chatId = (await owner.rest.chats.orCreate(bobId)).data._id;
    await sdkClient(stack, bobId).rest.chats.accept(chatId);
    alice = await clientAwayFrom(aliceId);
    bob = await clientAwayFrom(bobId, nodeOf(alice));
    [a, b] = await Promise.all([alice.openChat(chatId), bob.openChat(chatId)]);
  }, 120_000);

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await stack?.stop();
  });

  it("Alice's client moves to the other node and both sides see every message once and in seq order", async () => {
    const aLog = recordChat(a);
    const bLog = recordChat(b);
    const killed = nodeOf(alice) as 'gw1' | 'gw2';
    let aliceDropped = 0;
    alice.on('disconnect', () => aliceDropped++);
    expect(nodeOf(bob)).not.toBe(killed);

    // Both write steadily, not waiting for each answer; Alice's node dies a third of the way in.
    const writes = (chat: ChatHandle, who: string) =>
      Array.from({ length: PER_SIDE }, async (_, i) => {
        await sleep(i * 60);
        return chat.send(`${who} ${i}`);
      });
    const kill = (async () => {
      await sleep((PER_SIDE * 60) / 3);
      await stack.gateways[killed].stop('SIGKILL');
    })();
    const sent: Message[] = await Promise.all([...writes(a, 'alice'), ...writes(b, 'bob'), kill.then(() => [])]).then(
      (r) => r.flat(),
    );
    expect(sent).toHaveLength(2 * PER_SIDE);
    expect(aliceDropped).toBe(1);
    expect(nodeOf(alice)).not.toBe(killed);

    const server = await serverMessages(alice, chatId);
    // Every acknowledged message is in the feed at once; named, so that a failure says which.
    const onServer = new Set(server.map((m) => m._id));
    expect(
      sent.filter((m) => !onServer.has(m._id)).map(({ _id, seq, rev, content }) => ({ _id, seq, rev, content })),
    ).toEqual([]);
    expect(server).toHaveLength(2 * PER_SIDE);
    expect(new Set(server.map((m) => m.clientMessageId)).size).toBe(2 * PER_SIDE);
    const serverIds = server.map((m) => m._id);
    await eventually(() => expect(a.messages.map((m) => m._id)).toEqual(serverIds), 20_000);
    await eventually(() => expect(b.messages.map((m) => m._id)).toEqual(serverIds), 20_000);
    for (const log of [aLog, bLog]) {
      // Announced once each, and in seq order.
      expect(log.messages.map((m) => m._id)).toEqual(serverIds);
      expect(log.removes).toEqual([]);
    }
    expect(a.pending).toEqual([]);
    expect(b.pending).toEqual([]);
    // Receipts still flow: each side's messages reach the other as delivered.
    await eventually(
      () =>
        expect(
          a.messages.filter((m) => m.senderId === aliceId && !m.deliveredTo.some((d) => d.userId === bobId)),
        ).toEqual([]),
      20_000,
    );
  }, 90_000);
});
