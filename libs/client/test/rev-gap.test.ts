import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatClient, ChatHandle, Message, ServerEvents } from '@chat/client';
import { newUserId } from '@chat/testkit';
import { eventually, sdkClient, sleep, startStack, type Stack } from './support/stack.js';

/**
 * Live events go out on core NATS: one a gateway node missed is not sent again. The SDK sees
 * the hole in a chat's revs at the next live change and reads the feed, without a reconnect.
 * The test swallows one event on Bob's socket before the SDK sees it, as a lost one would be.
 */
describe('the SDK recovers a live event that never reached it', () => {
  let stack: Stack;
  const aliceId = newUserId();
  const bobId = newUserId();
  let alice: ChatClient;
  let bob: ChatClient;
  let chatId: string;
  let a: ChatHandle;
  let b: ChatHandle;
  /** Bob's `/changes` requests: the SDK's catch-ups. */
  let feedCalls = 0;
  /** Bob's disconnects: the recovery must not come from a reconnect's catch-up. */
  let bobDisconnects = 0;

  beforeAll(async () => {
    stack = await startStack();
    alice = sdkClient(stack, aliceId, { socketOptions: { transports: ['websocket'] } });
    bob = sdkClient(stack, bobId, {
      socketOptions: { transports: ['websocket'] },
      fetch: (input, init) => {
        if (String(input).includes('/changes')) feedCalls++;
        return fetch(input, init);
      },
    });
    chatId = (await alice.rest.chats.orCreate(bobId)).data._id;
    await bob.rest.chats.accept(chatId);
    await Promise.all([alice.connect(), bob.connect()]);
    bob.on('disconnect', () => bobDisconnects++);
    [a, b] = await Promise.all([alice.openChat(chatId), bob.openChat(chatId)]);
  }, 120_000);

  afterAll(async () => {
    alice?.close();
    bob?.close();
    await stack?.stop();
  });

  /**
   * Takes the next `event` off Bob's socket before the SDK's handler sees it (the handler is
   * put back right after); resolves with its payload.
   */
  function swallowNext<E extends keyof ServerEvents>(event: E): Promise<ServerEvents[E]> {
    type Handler = (payload: ServerEvents[E]) => void;
    const socket = bob.socket as unknown as Record<'on' | 'off', (event: E, handler: Handler) => void> & {
      listeners(event: E): Handler[];
    };
    const [sdk] = socket.listeners(event);
    if (!sdk) throw new Error(`the SDK does not listen to ${event}`);
    return new Promise((resolve) => {
      const swallow: Handler = (payload) => {
        socket.off(event, swallow);
        socket.on(event, sdk);
        resolve(payload);
      };
      socket.off(event, sdk);
      socket.on(event, swallow);
    });
  }

  /** Alice's message as Bob holds it once he has it and its delivery receipt (nothing left in flight). */
  async function sentAndSettled(content: string): Promise<Message> {
    const m = await a.send(content);
    await eventually(() => expect(b.getMessage(m._id)?.deliveredTo.map((d) => d.userId)).toEqual([bobId]));
    await eventually(() => expect(a.getMessage(m._id)?.deliveredTo.map((d) => d.userId)).toEqual([bobId]));
    return m;
  }

  it('a run of live changes whose revs follow each other makes no /changes request', async () => {
    const m = await sentAndSettled('steady state');
    await sleep(300);
    const before = feedCalls;
    await a.react(m._id, '👍');
    await eventually(() => expect(b.getMessage(m._id)?.reactions.map((r) => r.emoji)).toEqual(['👍']));
    await a.edit(m._id, 'steady state, edited');
    await eventually(() => expect(b.getMessage(m._id)?.content).toBe('steady state, edited'));
    await a.unreact(m._id, '👍');
    await eventually(() => expect(b.getMessage(m._id)?.reactions).toEqual([]));
    const more = await sentAndSettled('another one');
    await a.react(more._id, '🎉');
    await eventually(() => expect(b.getMessage(more._id)?.reactions.map((r) => r.emoji)).toEqual(['🎉']));
    // Well past the gap wait: nothing was missing, so nothing was asked.
    await sleep(500);
    expect(feedCalls).toBe(before);
  });

  it('an edit whose message_edited was lost reaches the store once the next live change shows the gap, without a reconnect', async () => {
    const m = await sentAndSettled('to be edited');
    await sleep(300);
    const before = feedCalls;
    const disconnects = bobDisconnects;

    const swallowed = swallowNext('message_edited');
    await a.edit(m._id, 'edited, its event lost');
    expect((await swallowed).messageId).toBe(m._id);
    // Nothing tells Bob yet: he holds the old text, and asked nothing.
    await sleep(400);
    expect(b.getMessage(m._id)?.content).toBe('to be edited');
    expect(feedCalls).toBe(before);

    // A reaction takes the next rev: the edit's rev is missing before it.
    await a.react(m._id, '🔥');
    await eventually(() =>
      expect(b.getMessage(m._id)).toMatchObject({
        content: 'edited, its event lost',
        isEdited: true,
        reactions: [{ userId: aliceId, emoji: '🔥' }],
      }),
    );
    expect(feedCalls).toBeGreaterThan(before);
    expect(bobDisconnects).toBe(disconnects);
    expect(bob.connected).toBe(true);
  });

  it('a message whose message_received was lost is shown when a later change of another message shows the gap', async () => {
    const older = await sentAndSettled('an older message');
    await sleep(300);
    const disconnects = bobDisconnects;

    // Its unread count goes too: a count without the message would make the SDK rejoin and catch up by itself.
    const swallowed = Promise.all([swallowNext('message_received'), swallowNext('unread_message')]);
    const lost = await a.send('sent, its event lost');
    const [received, counted] = await swallowed;
    expect(received.messageId).toBe(lost._id);
    expect(counted.chatId).toBe(chatId);
    await sleep(1_500); // past the unread check's second
    expect(b.getMessage(lost._id)).toBeUndefined();

    await a.react(older._id, '👀');
    await eventually(() => expect(b.getMessage(lost._id)?.content).toBe('sent, its event lost'));
    expect(b.messages.at(-1)?._id).toBe(lost._id);
    expect(bobDisconnects).toBe(disconnects);
  });
});
