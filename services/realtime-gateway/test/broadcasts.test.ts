import { describe, expect, it } from 'vitest';
import type { ChatEvent, MessageEvent, UnreadChangedEvent } from '@chat/contracts';
import { broadcastForUnread, roomExitsForChatEvent, broadcastsForMessageEvent } from '../src/domain/broadcasts.js';
import { GarbageMeter } from '../src/entry/socket/garbage-meter.js';

const chatId = 'c'.repeat(24);
const alice = 'a'.repeat(24);
const bob = 'b'.repeat(24);
const envelope = { eventId: 'e1', chatId, occurredAt: '2026-01-01T00:00:00.000Z' };
const msg = (type: string, data: object) => ({ ...envelope, type, data }) as unknown as MessageEvent;
const chat = (type: string, actorId = alice) =>
  ({
    ...envelope,
    type,
    data: { chatId, participants: [alice, bob], status: 'blocked', requestedBy: alice, blockedBy: bob, actorId },
  }) as unknown as ChatEvent;

describe('which sockets hear which domain event', () => {
  const created = {
    messageId: 'm1',
    rev: 1,
    seq: 1,
    senderId: alice,
    receiverId: bob,
    content: 'hi',
    clientMessageId: 'k',
    replyTo: null,
    createdAt: envelope.occurredAt,
  };

  it('a text message goes to the chat room as message_received', () => {
    expect(broadcastsForMessageEvent(msg('created', { ...created, messageType: 'text', media: null }))).toEqual([
      {
        kind: 'emit',
        to: `chat:${chatId}`,
        event: 'message_received',
        payload: {
          messageId: 'm1',
          chatId,
          senderId: alice,
          receiverId: bob,
          content: 'hi',
          messageType: 'text',
          createdAt: created.createdAt,
          replyTo: null,
          seq: 1,
          rev: 1,
          clientMessageId: 'k',
        },
      },
    ]);
  });

  it('a media message goes to the chat room as media_received, with its media', () => {
    const media = { url: 'u', fileId: 'f' };
    const [b] = broadcastsForMessageEvent(msg('created', { ...created, messageType: 'video', media }));
    expect(b).toMatchObject({
      kind: 'emit',
      to: `chat:${chatId}`,
      event: 'media_received',
      payload: { messageType: 'video', media },
    });
    expect((b as { payload: object }).payload).not.toHaveProperty('content');
  });

  it("a delete for everyone goes to the room; a delete for me only to the deleter's own room", () => {
    const base = { messageId: 'm1', rev: 2, senderId: alice, receiverId: bob, wasUnread: false };
    expect(broadcastsForMessageEvent(msg('deleted', { ...base, deletedBy: alice, scope: 'everyone' }))).toEqual([
      {
        kind: 'emit',
        to: `chat:${chatId}`,
        event: 'message_deleted',
        payload: { messageId: 'm1', chatId, deletedBy: alice, scope: 'everyone', rev: 2 },
      },
    ]);
    expect(broadcastsForMessageEvent(msg('deleted', { ...base, deletedBy: bob, scope: 'me' }))).toEqual([
      {
        kind: 'emit',
        to: `user:${bob}`,
        event: 'message_deleted',
        payload: { messageId: 'm1', chatId, deletedBy: bob, scope: 'me', rev: 2 },
      },
    ]);
  });

  it("edits, reactions and reads go to the room with the specification's fields and the change number rev", () => {
    expect(
      broadcastsForMessageEvent(
        msg('edited', { messageId: 'm1', rev: 3, newContent: 'x', editedAt: 't', editedBy: alice }),
      )[0],
    ).toMatchObject({
      event: 'message_edited',
      payload: { messageId: 'm1', chatId, newContent: 'x', editedAt: 't', editedBy: alice, rev: 3 },
    });
    for (const type of ['reaction_added', 'reaction_removed']) {
      expect(
        broadcastsForMessageEvent(msg(type, { messageId: 'm1', rev: 4, userId: bob, emoji: '👍', timestamp: 't' }))[0],
      ).toEqual({
        kind: 'emit',
        to: `chat:${chatId}`,
        event: type,
        payload: { messageId: 'm1', chatId, userId: bob, emoji: '👍', timestamp: 't', rev: 4 },
      });
    }
    expect(
      broadcastsForMessageEvent(
        msg('read', { rev: 5, revs: [5], messageIds: ['m1'], readBy: bob, timestamp: 't', unreadCount: 0 }),
      )[0],
    ).toMatchObject({
      event: 'messages_read',
      payload: { messageIds: ['m1'], readBy: bob, chatId, timestamp: 't', rev: 5, revs: [5] },
    });
    expect(
      broadcastsForMessageEvent(
        msg('delivered', { rev: 7, revs: [6, 7], messageIds: ['m1', 'm2'], deliveredTo: bob, timestamp: 't' }),
      ),
    ).toEqual([
      {
        kind: 'emit',
        to: `chat:${chatId}`,
        event: 'messages_delivered',
        payload: { messageIds: ['m1', 'm2'], deliveredTo: bob, chatId, timestamp: 't', rev: 7, revs: [6, 7] },
      },
    ]);
  });

  it('an event hidden from a user goes to the chat room except their room, and never carries the list', () => {
    const hidden = { hiddenFrom: [alice] };
    const events = [
      msg('read', { rev: 5, revs: [5], messageIds: ['m1'], readBy: bob, timestamp: 't', ...hidden }),
      msg('delivered', { rev: 6, revs: [6], messageIds: ['m1'], deliveredTo: bob, timestamp: 't', ...hidden }),
      msg('edited', { messageId: 'm1', rev: 7, newContent: 'x', editedAt: 't', editedBy: bob, ...hidden }),
      msg('reaction_added', { messageId: 'm1', rev: 8, userId: bob, emoji: '👍', timestamp: 't', ...hidden }),
      msg('reaction_removed', { messageId: 'm1', rev: 9, userId: bob, emoji: '👍', timestamp: 't', ...hidden }),
    ];
    for (const e of events) {
      const [b, ...more] = broadcastsForMessageEvent(e);
      expect(more).toEqual([]);
      expect(b).toMatchObject({ to: `chat:${chatId}`, except: [`user:${alice}`] });
      expect(b?.payload).not.toHaveProperty('hiddenFrom');
    }
  });

  it("an unread change goes to the user's own room as unread_message", () => {
    const e = {
      ...envelope,
      type: 'unread_changed',
      data: { userId: bob, unreadCount: 3, lastMessage: 'hi', senderId: alice },
    } as UnreadChangedEvent;
    expect(broadcastForUnread(e)).toEqual({
      kind: 'emit',
      to: `user:${bob}`,
      event: 'unread_message',
      payload: { chatId, unreadCount: 3, lastMessage: 'hi', senderId: alice },
    });
  });

  it('blocked and rejected chats empty the room of both users; a deleted chat only of the deleter', () => {
    for (const type of ['blocked', 'rejected']) {
      expect(roomExitsForChatEvent(chat(type))).toEqual([
        { kind: 'leave', userId: alice, chatId },
        { kind: 'leave', userId: bob, chatId },
      ]);
    }
    expect(roomExitsForChatEvent(chat('deleted', bob))).toEqual([{ kind: 'leave', userId: bob, chatId }]);
  });

  it('other chat events change nothing live', () => {
    for (const type of ['created', 'accepted', 'auto_accepted', 'unblocked', 'archived', 'unarchived', 'restored']) {
      expect(roomExitsForChatEvent(chat(type))).toEqual([]);
    }
  });
});

describe('garbage meter', () => {
  it('trips at the limit within the window, and forgets strikes older than the window', () => {
    let now = 0;
    const meter = new GarbageMeter(3, 1000, () => now);
    expect(meter.strike()).toBe(false);
    expect(meter.strike()).toBe(false);
    now = 1500; // both earlier strikes are out of the window
    expect(meter.strike()).toBe(false);
    expect(meter.strike()).toBe(false);
    expect(meter.strike()).toBe(true);
  });
});
