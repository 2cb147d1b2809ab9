import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import {
  messageDelete,
  messageDelivered,
  messageEdit,
  messageReact,
  messageRead,
  messageSend,
  messageSendMedia,
  messageUnreact,
} from '@chat/contracts';
import { INVISIBLE_CONTENT } from '@chat/testkit';
import { startWorld, uploadImage, type TestUser, type World } from './harness.js';

/**
 * Issue 21, items 12 and 13 as message-api sees them: the events name whom the gateway keeps
 * them from (`hiddenFrom`, internal), and content that would look empty or turn the text
 * around it is refused before anything is stored.
 */
let w: World;

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.stop();
});

const eventOf = (type: string, messageId: string, match: (data: any) => boolean = () => true) =>
  w.waitForEvent(
    (e) =>
      e.event.type === type &&
      (e.event.data.messageId === messageId || e.event.data.messageIds?.includes(messageId)) &&
      match(e.event.data),
  );
const unreadOf = async (user: TestUser, chatId: string) => {
  const res = await user.http.get(`/api/chats/${chatId}`);
  expect(res.status).toBe(200);
  return res.body.data.unreadCount as number;
};

describe('receipts in a blocked or rejected chat are hidden from the other participant', () => {
  it('a read and a delivery in a blocked chat name the other participant in hiddenFrom; chat-api still counts the read', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob, 'accepted');
    const [m1, m2] = [
      await w.command(messageSend, alice, { chatId, content: 'one' }),
      await w.command(messageSend, alice, { chatId, content: 'two' }),
    ];
    await expect.poll(() => unreadOf(bob, chatId), { timeout: 10_000 }).toBe(2);
    expect((await bob.http.post(`/api/chats/${chatId}/block`)).status).toBe(200);

    await w.command(messageDelivered, bob, { chatId, messageIds: [m1.messageId] });
    expect((await eventOf('delivered', m1.messageId)).event.data).toMatchObject({
      deliveredTo: bob.id,
      hiddenFrom: [alice.id],
    });
    await w.command(messageRead, bob, { chatId, messageIds: [m1.messageId, m2.messageId] });
    expect((await eventOf('read', m2.messageId)).event.data).toMatchObject({ readBy: bob.id, hiddenFrom: [alice.id] });
    // The projection, a durable consumer of the same event, still takes them off bob's count.
    await expect.poll(() => unreadOf(bob, chatId), { timeout: 10_000 }).toBe(0);
  });

  it('a read in a rejected chat names the requester in hiddenFrom', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const created = await alice.http.post('/api/chats/or-create', { recipientId: bob.id });
    const chatId = created.body.data._id as string;
    const { messageId } = await w.command(messageSend, alice, { chatId, content: 'may I?' });
    expect((await bob.http.post(`/api/chats/${chatId}/reject`)).status).toBe(200);
    await w.command(messageRead, bob, { chatId, messageIds: [messageId] });
    expect((await eventOf('read', messageId)).event.data).toMatchObject({ readBy: bob.id, hiddenFrom: [alice.id] });
  });

  it('receipts in an accepted chat are hidden from nobody', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob, 'accepted');
    const { messageId } = await w.command(messageSend, alice, { chatId, content: 'hello' });
    await w.command(messageDelivered, bob, { chatId, messageIds: [messageId] });
    await w.command(messageRead, bob, { chatId, messageIds: [messageId] });
    for (const type of ['delivered', 'read'])
      expect((await eventOf(type, messageId)).event.data.hiddenFrom).toBeUndefined();
  });
});

describe('changes of a message are hidden from a participant who no longer sees it', () => {
  it('an edit and reactions of a message bob hid for himself name bob in hiddenFrom; of one he sees, nobody', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob, 'accepted');
    const hidden = await w.command(messageSend, alice, { chatId, content: 'hide me' });
    const seen = await w.command(messageSend, alice, { chatId, content: 'keep me' });
    await w.command(messageDelete, bob, { chatId, messageId: hidden.messageId, scope: 'me' });

    await w.command(messageEdit, alice, { chatId, messageId: hidden.messageId, newContent: 'hide me (edited)' });
    await w.command(messageReact, alice, { chatId, messageId: hidden.messageId, emoji: '👍' });
    await w.command(messageUnreact, alice, { chatId, messageId: hidden.messageId, emoji: '👍' });
    for (const type of ['edited', 'reaction_added', 'reaction_removed'])
      expect((await eventOf(type, hidden.messageId)).event.data.hiddenFrom, type).toEqual([bob.id]);

    await w.command(messageEdit, alice, { chatId, messageId: seen.messageId, newContent: 'keep me (edited)' });
    await w.command(messageReact, alice, { chatId, messageId: seen.messageId, emoji: '👍' });
    for (const type of ['edited', 'reaction_added'])
      expect((await eventOf(type, seen.messageId)).event.data.hiddenFrom, type).toBeUndefined();
  });

  it('after bob deletes the chat, changes of the messages before it name bob; of messages after it, nobody', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob, 'accepted');
    const before = await w.command(messageSend, alice, { chatId, content: 'before the delete' });
    expect((await bob.http.delete(`/api/chats/${chatId}`)).status).toBe(200);
    // message-api hears the chat's `deleted` event and drops its cached answer: poll until it has.
    let edits = 0;
    await expect
      .poll(
        async () => {
          const newContent = `edited ${++edits}`;
          await w.command(messageEdit, alice, { chatId, messageId: before.messageId, newContent });
          return (await eventOf('edited', before.messageId, (d) => d.newContent === newContent)).event.data.hiddenFrom;
        },
        { timeout: 10_000 },
      )
      .toEqual([bob.id]);
    await w.command(messageReact, alice, { chatId, messageId: before.messageId, emoji: '🎉' });
    expect((await eventOf('reaction_added', before.messageId)).event.data.hiddenFrom).toEqual([bob.id]);

    const after = await w.command(messageSend, alice, { chatId, content: 'after the delete' });
    await w.command(messageEdit, alice, { chatId, messageId: after.messageId, newContent: 'after (edited)' });
    expect((await eventOf('edited', after.messageId)).event.data.hiddenFrom).toBeUndefined();
  });
});

describe('content that would look empty or spoof the text around it', () => {
  it.each(Object.entries(INVISIBLE_CONTENT))(
    'refuses a send, a caption and an edit of %s with VALIDATION, storing nothing',
    async (_n, text) => {
      const [alice, bob] = [w.newUser(), w.newUser()];
      const chatId = await w.chat(alice, bob, 'accepted');
      const { messageId } = await w.command(messageSend, alice, { chatId, content: 'original' });
      expect(await w.refusal(messageSend, alice, { chatId, content: text })).toBe('VALIDATION');
      // A caption that trims to nothing is no caption (the image is sent); any other invisible one is refused.
      if (text.trim() !== '') {
        const file = await uploadImage(alice, chatId);
        const media = { url: file.url, fileId: file.fileId };
        expect(await w.refusal(messageSendMedia, alice, { chatId, messageType: 'image', media, content: text })).toBe(
          'VALIDATION',
        );
      }
      expect(await w.refusal(messageEdit, alice, { chatId, messageId, newContent: text })).toBe('VALIDATION');
      const stored = await w.stored({ chatId: new ObjectId(chatId) });
      expect(stored.map((m) => [m.content, m.isEdited])).toEqual([['original', false]]);
    },
  );
});
