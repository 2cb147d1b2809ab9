import { describe, expect, it } from 'vitest';
import { countersToDecrement, previewOf, type ChatCounters } from '../src/domain/projection.js';
import { toChatView } from '../src/domain/chat-view.js';
import { decideAccess } from '../src/domain/access.js';
import type { ChatRecord } from '../src/domain/chat.js';
import { toProjectedEvent } from '../src/domain/projected-event.js';
import type { MessageEvent } from '@chat/contracts';

const S = 'a'.repeat(24); // sender
const R = 'b'.repeat(24); // receiver

describe('lastMessage preview', () => {
  it('keeps the first 100 characters of a text, counting code points', () => {
    expect(previewOf('text', 'hello')).toBe('hello');
    expect(previewOf('text', 'x'.repeat(150))).toBe('x'.repeat(100));
    const emoji = '😀'.repeat(120);
    expect([...previewOf('text', emoji)]).toHaveLength(100);
  });

  it('uses a marker for media', () => {
    expect(previewOf('image', 'caption')).toBe('[IMAGE]');
    expect(previewOf('video', '')).toBe('[VIDEO]');
    expect(previewOf('file', '')).toBe('[FILE]');
  });
});

describe('counters a deleted message takes one from', () => {
  const chat = (over: Partial<ChatCounters> = {}): ChatCounters => ({
    participants: [S, R],
    unreadCount: { [R]: 2 },
    messageCount: { [S]: 3, [R]: 3 },
    clearedAt: {},
    ...over,
  });
  const base = { senderId: S, receiverId: R, deletedBy: S, scope: 'everyone' as const, wasUnread: true };

  it('for everyone: both message counts and the receiver unread when it was unread', () => {
    expect(countersToDecrement(chat(), base)).toEqual({ messageCount: [S, R], unreadCount: [R] });
  });

  it('for everyone, already read: both message counts only', () => {
    expect(countersToDecrement(chat(), { ...base, wasUnread: false })).toEqual({
      messageCount: [S, R],
      unreadCount: [],
    });
  });

  it('for me by the sender: only the sender count', () => {
    expect(countersToDecrement(chat(), { ...base, scope: 'me' })).toEqual({ messageCount: [S], unreadCount: [] });
  });

  it('for me by the receiver of an unread message: their count and their unread', () => {
    expect(countersToDecrement(chat(), { ...base, scope: 'me', deletedBy: R })).toEqual({
      messageCount: [R],
      unreadCount: [R],
    });
  });

  it('takes one even from a count at zero: the message’s created may not have been applied yet', () => {
    expect(countersToDecrement(chat({ unreadCount: { [R]: 0 }, messageCount: { [S]: 0, [R]: 1 } }), base)).toEqual({
      messageCount: [S, R],
      unreadCount: [R],
    });
  });

  it('skips a user who had deleted the chat after the message was created', () => {
    const cleared = chat({ clearedAt: { [R]: new Date('2026-01-02T00:00:00Z') } });
    expect(countersToDecrement(cleared, { ...base, createdAt: '2026-01-01T00:00:00Z' })).toEqual({
      messageCount: [S],
      unreadCount: [],
    });
    expect(countersToDecrement(cleared, { ...base, createdAt: '2026-01-03T00:00:00Z' })).toEqual({
      messageCount: [S, R],
      unreadCount: [R],
    });
  });

  it('skips users who had already hidden the message for themselves', () => {
    expect(countersToDecrement(chat(), { ...base, alreadyHiddenFor: [R] })).toEqual({
      messageCount: [S],
      unreadCount: [],
    });
  });

  it('ignores users who are not participants', () => {
    const X = 'c'.repeat(24);
    expect(countersToDecrement(chat(), { ...base, scope: 'me', deletedBy: X })).toEqual({
      messageCount: [],
      unreadCount: [],
    });
  });
});

const record = (over: Partial<ChatRecord> = {}): ChatRecord => ({
  id: 'd'.repeat(24),
  participants: [S, R],
  status: 'accepted',
  requestedBy: S,
  acceptedAt: new Date('2026-01-01T00:00:00Z'),
  blockedBy: null,
  statusBeforeBlock: null,
  stateRev: 1,
  lastMessage: 'hi',
  lastMessageAt: new Date('2026-01-01T10:00:00Z'),
  lastMessageType: 'text',
  lastSenderId: S,
  lastMessageId: 'e'.repeat(24),
  lastMessageSeq: 9,
  lastMessageRev: 12,
  unreadCount: { [R]: 4 },
  messageCount: { [S]: 5, [R]: 5 },
  archivedBy: [S],
  hiddenFor: [],
  clearedAt: {},
  outbox: [],
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T10:00:00Z'),
  ...over,
});

describe('the per-caller view', () => {
  it('resolves unreadCount and isArchived for the caller', () => {
    expect(toChatView(record(), R)).toMatchObject({ unreadCount: 4, isArchived: false, messageCount: 5 });
    expect(toChatView(record(), S)).toMatchObject({ unreadCount: 0, isArchived: true, messageCount: 5 });
  });

  it('hides the last message from a caller who deleted the chat after it', () => {
    const cleared = record({ clearedAt: { [R]: new Date('2026-01-01T11:00:00Z') } });
    expect(toChatView(cleared, R)).toMatchObject({ lastMessage: null, lastMessageAt: null, lastSenderId: null });
    expect(toChatView(cleared, S)).toMatchObject({ lastMessage: 'hi' });
  });
});

describe('chat.access.check decisions', () => {
  it('unknown chat and non-participant are distinct answers', () => {
    expect(decideAccess(null, S, 'read')).toMatchObject({ allowed: false, reason: 'NOT_FOUND' });
    expect(decideAccess(record(), 'c'.repeat(24), 'read')).toMatchObject({ allowed: false, reason: 'NOT_PARTICIPANT' });
  });

  it('a participant reads in every status; sending follows the status rules and says why not', () => {
    for (const status of ['pending', 'accepted', 'auto_accepted', 'rejected', 'blocked'] as const) {
      expect(decideAccess(record({ status }), R, 'read')).toMatchObject({ allowed: true });
    }
    expect(decideAccess(record({ status: 'pending' }), R, 'send')).toMatchObject({
      allowed: false,
      reason: 'STATUS',
      chat: { status: 'pending' },
    });
    expect(decideAccess(record({ status: 'pending' }), S, 'send')).toMatchObject({
      allowed: true,
      chat: { otherUserId: R },
    });
  });

  it('carries the caller clearedAt', () => {
    const at = new Date('2026-01-01T11:00:00Z');
    const reply = decideAccess(record({ clearedAt: { [R]: at } }), R, 'read');
    expect(reply).toMatchObject({ allowed: true, chat: { clearedAt: at.toISOString(), otherUserId: S } });
  });
});

describe('message events as the projection takes them', () => {
  const created = (data: Record<string, unknown>) =>
    ({
      eventId: 'e1',
      type: 'created',
      chatId: 'c'.repeat(24),
      occurredAt: new Date(0).toISOString(),
      data: {
        rev: 7,
        messageId: 'm1',
        seq: 3,
        senderId: S.toUpperCase(),
        receiverId: R,
        messageType: 'text',
        content: 'y'.repeat(120),
        createdAt: new Date(1_000).toISOString(),
        ...data,
      },
    }) as unknown as MessageEvent;

  it('lowercases the ids, cuts the preview and keeps the rev and seq of a created message', () => {
    expect(toProjectedEvent(created({}))).toEqual({
      projected: {
        type: 'created',
        rev: 7,
        messageId: 'm1',
        seq: 3,
        senderId: S,
        receiverId: R,
        preview: 'y'.repeat(100),
        messageType: 'text',
        createdAt: new Date(1_000),
      },
    });
  });

  it('names what is malformed: the chat id, or a user id', () => {
    expect(toProjectedEvent({ ...created({}), chatId: 'not-an-id' })).toEqual({ malformed: 'for a malformed chat id' });
    expect(toProjectedEvent(created({ receiverId: 'nobody' }))).toEqual({ malformed: 'with malformed user ids' });
  });

  it('keeps the revs of an event nothing on the chat depends on (a reaction)', () => {
    const reaction = { ...created({}), type: 'reaction_added', data: { rev: 9 } } as unknown as MessageEvent;
    expect(toProjectedEvent(reaction)).toEqual({ projected: { type: 'other', rev: 9 } });
  });
});
