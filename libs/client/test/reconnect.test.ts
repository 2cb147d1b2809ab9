import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatClient, ChatHandle, Message } from '@chat/client';
import { newUserId, tokenFor } from '@chat/testkit';
import { eventually, next, recordChat, sdkClient, serverMessages, sleep, startStack, type Stack } from './support/stack.js';

/** Acknowledgements lost, connections cut, a client offline while the other writes: nothing lost, nothing doubled. */
describe('the SDK across lost answers and reconnects', () => {
  let stack: Stack;
  const aliceId = newUserId();
  const bobId = newUserId();
  let alice: ChatClient;
  let bob: ChatClient;
  let chatId: string;
  let a: ChatHandle;
  let b: ChatHandle;
  let bLog: ReturnType<typeof recordChat>;
  /** send_message packets Alice's socket put on the wire, and the success events that came back. */
  const outgoing: { event: string; clientMessageId?: string }[] = [];
  const successes: { messageId: string; timestamp: string }[] = [];

  beforeAll(async () => {
    stack = await startStack();
    alice = sdkClient(stack, aliceId, { ackTimeoutMs: 1_500, socketOptions: { transports: ['websocket'] } });
    bob = sdkClient(stack, bobId, { socketOptions: { transports: ['websocket'] } });
    chatId = (await alice.rest.chats.orCreate(bobId)).data._id;
    await bob.rest.chats.accept(chatId);
    await Promise.all([alice.connect(), bob.connect()]);
    alice.socket.onAnyOutgoing((event: string, payload: { clientMessageId?: string }) =>
      outgoing.push({ event, clientMessageId: payload?.clientMessageId }),
    );
    alice.socket.on('send_message_success' as never, ((p: { messageId: string; timestamp: string }) => successes.push(p)) as never);
    [a, b] = await Promise.all([alice.openChat(chatId), bob.openChat(chatId)]);
    bLog = recordChat(b);
  }, 120_000);

  afterAll(async () => {
    alice?.close();
    bob?.close();
    await stack?.stop();
  });

  /** Makes Alice's socket forget the answer to her next send_message (the packet still goes out). */
  function loseNextSendAck(then?: () => void): void {
    const socket = alice.socket as unknown as { emit: (...args: unknown[]) => unknown };
    const emit = socket.emit;
    socket.emit = function (this: unknown, event: unknown, ...args: unknown[]) {
      if (event === 'send_message') {
        socket.emit = emit;
        args[args.length - 1] = () => then?.();
      }
      return emit.call(this, event, ...args);
    };
  }

  const sendsOf = (clientMessageId: string) =>
    outgoing.filter((o) => o.event === 'send_message' && o.clientMessageId === clientMessageId).length;

  it('a send whose acknowledgement was lost times out, goes again with the same clientMessageId, and is stored and shown once', async () => {
    loseNextSendAck();
    const sent = await a.send('first try lost its answer');
    expect(sendsOf(sent.clientMessageId)).toBe(2);
    // Both answers name the first message (the repeat stored nothing: same id, same timestamp).
    const answers = successes.filter((s) => s.messageId === sent._id);
    expect(answers).toHaveLength(2);
    expect(answers[1]).toEqual(answers[0]);
    await eventually(() => expect(b.getMessage(sent._id)).toBeDefined());
    const stored = (await serverMessages(alice, chatId)).filter((m) => m.clientMessageId === sent.clientMessageId);
    expect(stored.map((m) => m._id)).toEqual([sent._id]);
    expect(bLog.messages.filter((m) => m._id === sent._id)).toHaveLength(1);
    expect(a.messages.filter((m) => m._id === sent._id)).toHaveLength(1);
  });

  it('a send whose connection dropped before the answer is sent again after the reconnect and shown once', async () => {
    const reconnected = next(alice, 'connect');
    // The answer is lost, and the moment the message reaches Bob (it is stored) Alice's transport is cut.
    loseNextSendAck();
    const offBob = b.on('message', (m) => m.content === 'cut before the answer' && alice.socket.io.engine.close());
    const sent = await a.send('cut before the answer');
    offBob();
    await reconnected;
    expect(sendsOf(sent.clientMessageId)).toBeGreaterThanOrEqual(2);
    const stored = (await serverMessages(alice, chatId)).filter((m) => m.clientMessageId === sent.clientMessageId);
    expect(stored).toHaveLength(1);
    expect(bLog.messages.filter((m) => m._id === sent._id)).toHaveLength(1);
    expect(a.messages.filter((m) => m._id === sent._id)).toHaveLength(1);
  });

  it('catch-up: what Alice sends, edits, deletes and reacts to while Bob is offline reaches him once and in order when he is back', async () => {
    bob.disconnect();
    await eventually(() => expect(bob.connected).toBe(false));
    const before = bLog.messages.length;
    const sent: Message[] = [];
    for (let i = 0; i < 30; i++) sent.push(await a.send(`offline ${i}`));
    await a.edit(sent[3]!._id, 'offline 3, edited');
    await a.delete(sent[5]!._id);
    await a.react(sent[7]!._id, '🎉');
    // Bob writes while offline: his sends wait in pending.
    const bobSends = [b.send('written offline 1'), b.send('written offline 2')];
    expect(b.pending.map((p) => p.content)).toEqual(['written offline 1', 'written offline 2']);
    expect(b.messages.find((m) => m._id === sent[0]!._id)).toBeUndefined();

    await bob.connect();
    const mine = await Promise.all(bobSends);
    expect(b.pending).toEqual([]);
    const expected = sent.filter((_, i) => i !== 5).map((m) => m._id);
    await eventually(() => expect(b.messages.map((m) => m._id)).toEqual(expect.arrayContaining([...expected, ...mine.map((m) => m._id)])));
    const fresh = bLog.messages.slice(before);
    // Each message once, announced in seq order, the deleted one never shown.
    expect(fresh.map((m) => m._id)).toEqual([...expected, ...mine.map((m) => m._id)]);
    expect(b.getMessage(sent[3]!._id)).toMatchObject({ content: 'offline 3, edited', isEdited: true });
    expect(b.getMessage(sent[7]!._id)?.reactions).toMatchObject([{ userId: aliceId, emoji: '🎉' }]);
    expect(b.getMessage(sent[5]!._id)).toBeUndefined();
    // Delivery receipts went out for what was caught up.
    await eventually(() => expect(a.getMessage(sent[29]!._id)?.deliveredTo.map((d) => d.userId)).toEqual([bobId]));
    const server = await serverMessages(bob, chatId);
    expect(b.messages.map((m) => m._id)).toEqual(server.map((m) => m._id));
    await eventually(() => expect(a.messages.map((m) => m._id)).toEqual(server.map((m) => m._id)));
  });

  it('history: loadOlder pages back to the first message without announcing them as new', async () => {
    const small = sdkClient(stack, bobId, { historyPageSize: 10, autoDeliver: false });
    try {
      const chat = await small.openChat(chatId);
      const log = recordChat(chat);
      expect(chat.messages).toHaveLength(10);
      const pages: number[] = [];
      while (chat.hasOlder) pages.push((await chat.loadOlder()).length);
      const server = await serverMessages(small, chatId);
      expect(chat.messages.map((m) => m._id)).toEqual(server.map((m) => m._id));
      expect(pages.reduce((x, y) => x + y, 10)).toBe(server.length);
      expect(log.messages).toEqual([]);
    } finally {
      small.close();
    }
  });
  it('a socket closed because its token expired comes back with a fresh token from the token function, and catches up', async () => {
    let calls = 0;
    // The first token (the socket's) lives 2 s; the ones asked for later live an hour.
    const renewing = sdkClient(stack, bobId, { token: () => tokenFor(bobId, { expiresIn: calls++ === 0 ? 2 : 3_600 }), autoDeliver: false });
    try {
      const errors: string[] = [];
      renewing.on('error', (e) => errors.push(e.code));
      let connects = 0;
      renewing.on('connect', () => connects++);
      await renewing.connect();
      const chat = await renewing.openChat(chatId);
      await eventually(() => expect(connects).toBe(2), 10_000);
      expect(errors).toContain('UNAUTHORIZED');
      const sent = await a.send('after the token was renewed');
      await eventually(() => expect(chat.getMessage(sent._id)).toBeDefined());
      await sleep(100);
      expect(renewing.connected).toBe(true);
    } finally {
      renewing.close();
    }
  });
});
