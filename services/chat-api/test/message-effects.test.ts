import { describe, expect, it } from 'vitest';
import { markApplied, wasApplied } from '../src/domain/applied-revs.js';
import {
  decideProjection,
  foldProjections,
  withChange,
  type ProjectedChat,
  type ProjectedEvent,
} from '../src/domain/message-effects.js';

const S = 'a'.repeat(24); // sender
const R = 'b'.repeat(24); // receiver
const X = 'c'.repeat(24); // a stranger
const NOW = new Date('2026-02-01T00:00:00Z');

describe('applied revs', () => {
  it('counts every rev up to the floor and the listed ones as applied', () => {
    const applied = { floor: 4, revs: [7, 9] };
    expect([1, 4, 7, 9].map((r) => wasApplied(applied, r))).toEqual([true, true, true, true]);
    expect([5, 6, 8, 10].map((r) => wasApplied(applied, r))).toEqual([false, false, false, false]);
  });

  it('folds contiguous revs into the floor, whatever order they came in', () => {
    let applied = { floor: 0, revs: [] as number[] };
    for (const rev of [3, 1, 4, 2]) applied = markApplied(applied, rev);
    expect(applied).toEqual({ floor: 4, revs: [] });
    expect(markApplied(applied, 6)).toEqual({ floor: 4, revs: [6] });
  });

  it('keeps at most `kept` revs, raising the floor to the smallest one it drops', () => {
    let applied = { floor: 0, revs: [] as number[] };
    for (const rev of [2, 4, 6, 8]) applied = markApplied(applied, rev, 3);
    expect(applied).toEqual({ floor: 2, revs: [4, 6, 8] });
    // Dropping 4 lifts the floor past the gap at 3, then 5 and 6 fold in.
    expect(markApplied(markApplied(applied, 5, 3), 10, 3)).toEqual({ floor: 6, revs: [8, 10] });
  });

  it('adding an applied rev changes nothing', () => {
    const applied = { floor: 2, revs: [5] };
    expect(markApplied(applied, 5)).toBe(applied);
    expect(markApplied(applied, 1)).toBe(applied);
  });
});

const chat = (over: Partial<ProjectedChat> = {}): ProjectedChat => ({
  participants: [S, R],
  unreadCount: { [R]: 2 },
  messageCount: { [S]: 3, [R]: 3 },
  clearedAt: {},
  hiddenFor: [],
  lastMessageId: 'm3',
  lastMessageType: 'text',
  lastMessageAt: new Date('2026-01-01T00:00:03Z'),
  lastMessageSeq: 3,
  lastMessageRev: 3,
  applied: { floor: 3, revs: [] },
  ...over,
});

const created = (over: Partial<Extract<ProjectedEvent, { type: 'created' }>> = {}): ProjectedEvent => ({
  type: 'created',
  rev: 4,
  messageId: 'm4',
  seq: 4,
  senderId: S,
  receiverId: R,
  preview: 'four',
  messageType: 'text',
  createdAt: new Date('2026-01-01T00:00:04Z'),
  ...over,
});

describe('what a message event changes', () => {
  it('a new message: receiver unread and both counts +1, newest preview, its rev applied', () => {
    const p = decideProjection(chat(), created(), NOW);
    expect(p).toEqual({
      apply: true,
      change: {
        applied: { floor: 4, revs: [] },
        unreadCount: { [R]: 3 },
        messageCount: { [S]: 4, [R]: 4 },
        last: {
          lastMessage: 'four',
          lastMessageRev: 4,
          lastMessageAt: new Date('2026-01-01T00:00:04Z'),
          lastMessageType: 'text',
          lastSenderId: S,
          lastMessageId: 'm4',
          lastMessageSeq: 4,
        },
        updatedAt: NOW,
        restoredFor: [],
        unreadChangedFor: [R],
      },
    });
  });

  it('any event whose rev was applied changes nothing', () => {
    const applied = chat({ applied: { floor: 3, revs: [6] } });
    expect(decideProjection(applied, created({ rev: 3 }), NOW)).toEqual({ apply: false, reason: 'ALREADY_APPLIED' });
    expect(decideProjection(applied, created({ rev: 6 }), NOW)).toEqual({ apply: false, reason: 'ALREADY_APPLIED' });
    expect(decideProjection(applied, { type: 'read', rev: 2, revs: [2], readBy: R, count: 2 }, NOW)).toMatchObject({
      apply: false,
    });
  });

  it('an older message arriving late counts, but keeps the newer preview (by seq)', () => {
    const p = decideProjection(chat({ lastMessageSeq: 5, applied: { floor: 3, revs: [5] } }), created(), NOW);
    expect(p).toMatchObject({ apply: true, change: { unreadCount: { [R]: 3 }, applied: { floor: 5, revs: [] } } });
    expect(p.apply && p.change.last).toBeUndefined();
  });

  it('a chat written before seq was stored compares creation times', () => {
    const legacy = chat({ lastMessageSeq: null, lastMessageAt: new Date('2026-01-01T00:00:05Z') });
    const p = decideProjection(legacy, created(), NOW);
    expect(p).toMatchObject({ apply: true, change: { unreadCount: { [R]: 3 } } });
    expect(p.apply && p.change.last).toBeUndefined();
    const older = chat({ lastMessageSeq: null, lastMessageAt: new Date('2026-01-01T00:00:01Z') });
    expect(decideProjection(older, created(), NOW)).toMatchObject({ change: { last: { lastMessage: 'four' } } });
  });

  it('a new message brings the chat back for a participant who had deleted it', () => {
    const p = decideProjection(chat({ hiddenFor: [R] }), created(), NOW);
    expect(p).toMatchObject({ apply: true, change: { restoredFor: [R], hiddenFor: [] } });
  });

  it('a message created before a user deleted the chat, projected after the delete, neither counts for them nor brings it back', () => {
    const deletedAt = new Date('2026-01-01T00:00:04Z'); // the message's own millisecond: at or before is before
    for (const deleter of [R, S]) {
      const deleted = chat({
        hiddenFor: [deleter],
        clearedAt: { [deleter]: deletedAt },
        unreadCount: { [deleter]: 0 },
        messageCount: { [deleter]: 0, [deleter === R ? S : R]: 3 },
      });
      const p = decideProjection(deleted, created(), NOW);
      expect(p).toMatchObject({ apply: true, change: { restoredFor: [], applied: { floor: 4, revs: [] } } });
      if (!p.apply) continue;
      expect(p.change.hiddenFor).toBeUndefined();
      expect(p.change.messageCount).toEqual(deleter === R ? { [S]: 4 } : { [R]: 4 });
      expect(p.change.unreadCount).toEqual(deleter === R ? {} : { [R]: 1 });
      expect(p.change.unreadChangedFor).toEqual(deleter === R ? [] : [R]);
    }
  });

  it('a message created after the delete brings the chat back for the deleter, counting only from there', () => {
    const deleted = chat({
      hiddenFor: [R],
      clearedAt: { [R]: new Date('2026-01-01T00:00:03.999Z') },
      unreadCount: { [R]: 0 },
      messageCount: { [S]: 3, [R]: 0 },
    });
    expect(decideProjection(deleted, created(), NOW)).toMatchObject({
      apply: true,
      change: { restoredFor: [R], hiddenFor: [], unreadCount: { [R]: 1 }, messageCount: { [S]: 4, [R]: 1 } },
    });
    // In one batch: the old message is skipped for R, the new one brings the chat back.
    const { change } = foldProjections(
      deleted,
      [
        created({ rev: 4, seq: 4, messageId: 'm4', createdAt: new Date('2026-01-01T00:00:03.500Z') }),
        created({ rev: 5, seq: 5, messageId: 'm5', createdAt: new Date('2026-01-01T00:00:05Z') }),
      ],
      NOW,
    );
    expect(change).toMatchObject({
      restoredFor: [R],
      hiddenFor: [],
      unreadCount: { [R]: 1 },
      messageCount: { [R]: 1 },
    });
  });

  it('a message from or to a non-participant changes nothing', () => {
    expect(decideProjection(chat(), created({ senderId: X }), NOW)).toEqual({
      apply: false,
      reason: 'NOT_PARTICIPANT',
    });
    expect(decideProjection(chat(), created({ receiverId: S }), NOW)).toEqual({
      apply: false,
      reason: 'NOT_PARTICIPANT',
    });
  });

  it('a read made before the reader deleted the chat changes no count: the delete already set it to zero', () => {
    const deletedAt = new Date('2026-01-01T00:00:10Z');
    const deleted = chat({ unreadCount: { [R]: 0 }, clearedAt: { [R]: deletedAt } });
    const before = decideProjection(
      deleted,
      { type: 'read', rev: 4, revs: [4], readBy: R, count: 1, readAt: new Date(deletedAt.getTime() - 5) },
      NOW,
    );
    expect(before).toMatchObject({ apply: true });
    expect(before.apply && before.change.unreadCount).toEqual({});
    const after = decideProjection(
      deleted,
      { type: 'read', rev: 4, revs: [4], readBy: R, count: 1, readAt: new Date(deletedAt.getTime() + 5) },
      NOW,
    );
    expect(after).toMatchObject({ apply: true, change: { unreadCount: { [R]: -1 } } });
  });

  it('a read takes the messages it marked off the reader unread count, exactly (below zero until an overtaken created lands)', () => {
    expect(decideProjection(chat(), { type: 'read', rev: 4, revs: [4], readBy: R, count: 1 }, NOW)).toMatchObject({
      apply: true,
      change: { unreadCount: { [R]: 1 }, messageCount: {}, unreadChangedFor: [R] },
    });
    expect(decideProjection(chat(), { type: 'read', rev: 4, revs: [4], readBy: R, count: 5 }, NOW)).toMatchObject({
      change: { unreadCount: { [R]: -3 } },
    });
    expect(decideProjection(chat(), { type: 'read', rev: 4, revs: [4], readBy: X, count: 1 }, NOW)).toMatchObject({
      apply: false,
      reason: 'NOT_PARTICIPANT',
    });
  });

  it('a delete for everyone sets the decremented counts, clears its preview, and is applied even when nothing moves', () => {
    const del: ProjectedEvent = {
      type: 'deleted',
      rev: 4,
      messageId: 'm3',
      scope: 'everyone',
      deletedBy: S,
      senderId: S,
      receiverId: R,
      wasUnread: true,
    };
    expect(decideProjection(chat(), del, NOW)).toMatchObject({
      apply: true,
      change: {
        unreadCount: { [R]: 1 },
        messageCount: { [S]: 2, [R]: 2 },
        last: { lastMessage: null, lastMessageRev: 4 },
        unreadChangedFor: [R],
      },
    });
    // Before its created was applied: the counts go below zero, and the created brings them back.
    const empty = chat({ unreadCount: {}, messageCount: {}, lastMessageId: 'other' });
    expect(decideProjection(empty, del, NOW)).toEqual({
      apply: true,
      change: {
        applied: { floor: 4, revs: [] },
        unreadCount: { [R]: -1 },
        messageCount: { [S]: -1, [R]: -1 },
        restoredFor: [],
        unreadChangedFor: [R],
      },
    });
    const hidden = chat({
      unreadCount: {},
      messageCount: {},
      lastMessageId: 'other',
      clearedAt: { [S]: NOW, [R]: NOW },
    });
    expect(
      decideProjection(hidden, { ...del, createdAt: new Date(NOW.getTime() - 1).toISOString() }, NOW),
    ).toMatchObject({
      apply: true,
      change: { unreadCount: {}, messageCount: {}, unreadChangedFor: [] },
    });
  });

  it('a delete for everyone that overtakes its created makes it the last message without a preview, so the late created never shows its text', () => {
    const at = '2026-01-01T00:00:04Z';
    const del: ProjectedEvent = {
      type: 'deleted',
      rev: 5,
      messageId: 'm4',
      seq: 4,
      messageType: 'image',
      createdAt: at,
      scope: 'everyone',
      deletedBy: S,
      senderId: S,
      receiverId: R,
      wasUnread: true,
    };
    const late = created({ rev: 4, seq: 4, messageId: 'm4', preview: 'the deleted text', createdAt: new Date(at) });
    const { change, outcomes } = foldProjections(chat(), [del, late], NOW);
    expect(outcomes.every((o) => o.apply)).toBe(true);
    expect(change?.last).toEqual({
      lastMessage: null,
      lastMessageRev: 5,
      lastMessageAt: new Date(at),
      lastMessageType: 'image',
      lastSenderId: S,
      lastMessageId: 'm4',
      lastMessageSeq: 4,
    });
    // The counts end where the created then the delete would have left them.
    expect(change).toMatchObject({ unreadCount: { [R]: 2 }, messageCount: { [S]: 3, [R]: 3 } });
    // A delete of an older message (its created was applied) leaves the newer preview alone.
    const older = decideProjection(chat(), { ...del, messageId: 'm2', seq: 2 }, NOW);
    expect(older.apply && older.change.last).toBeUndefined();
  });

  it('an edit updates the preview of the last text message, unless a later change already set it', () => {
    const edit = (rev: number, messageId = 'm3'): ProjectedEvent => ({
      type: 'edited',
      rev,
      messageId,
      preview: `v${rev}`,
    });
    expect(decideProjection(chat(), edit(5), NOW)).toMatchObject({
      apply: true,
      change: { last: { lastMessage: 'v5', lastMessageRev: 5 }, unreadCount: {}, messageCount: {} },
    });
    // Edits published out of order: the older one arrives after the newer one was shown.
    const shown = chat({ lastMessageRev: 6, applied: { floor: 3, revs: [6] } });
    // Edits the preview does not show change nothing but their rev, which is recorded.
    const onlyRecorded = (applied: { floor: number; revs: number[] }) => ({
      apply: true,
      change: { applied, unreadCount: {}, messageCount: {}, restoredFor: [], unreadChangedFor: [] },
    });
    expect(decideProjection(shown, edit(5), NOW)).toEqual(onlyRecorded({ floor: 3, revs: [5, 6] }));
    expect(decideProjection(chat(), edit(5, 'm2'), NOW)).toEqual(onlyRecorded({ floor: 3, revs: [5] }));
    expect(decideProjection(chat({ lastMessageType: 'image' }), edit(5), NOW)).toEqual(
      onlyRecorded({ floor: 3, revs: [5] }),
    );
  });

  it('a reaction and every rev a read spent are recorded, so the floor moves past them', () => {
    const reaction = decideProjection(chat(), { type: 'other', rev: 4 }, NOW);
    expect(reaction).toMatchObject({ apply: true, change: { applied: { floor: 4, revs: [] }, unreadCount: {} } });
    const read = decideProjection(chat(), { type: 'read', rev: 6, revs: [4, 5, 6], readBy: R, count: 3 }, NOW);
    expect(read).toMatchObject({ apply: true, change: { applied: { floor: 6, revs: [] } } });
  });
});

describe('several events of one chat in one write', () => {
  const run: ProjectedEvent[] = [
    created({ rev: 4, seq: 4, messageId: 'm4' }),
    created({ rev: 5, seq: 5, messageId: 'm5', senderId: R, receiverId: S, preview: 'back' }),
    { type: 'read', rev: 6, revs: [6], readBy: R, count: 2 },
    created({ rev: 4, seq: 4, messageId: 'm4' }), // a redelivery inside the run
    { type: 'edited', rev: 7, messageId: 'm5', preview: 'back, edited' },
    created({ rev: 8, seq: 8, messageId: 'm8' }),
  ];

  it('writes what applying them one by one writes', () => {
    let state = chat({ hiddenFor: [S] });
    for (const event of run) {
      const one = decideProjection(state, event, NOW);
      if (one.apply) state = withChange(state, one.change);
    }
    const { change, outcomes } = foldProjections(chat({ hiddenFor: [S] }), run, NOW);
    expect(outcomes.map((o) => (o.apply ? 'applied' : o.reason))).toEqual([
      'applied',
      'applied',
      'applied',
      'ALREADY_APPLIED',
      'applied',
      'applied',
    ]);
    expect(withChange(chat({ hiddenFor: [S] }), change!)).toEqual(state);
    expect(change).toMatchObject({
      applied: { floor: 8, revs: [] },
      unreadCount: { [R]: 2, [S]: 1 },
      messageCount: { [S]: 6, [R]: 6 },
      hiddenFor: [],
      restoredFor: [S],
      unreadChangedFor: [R, S],
      last: { lastMessageId: 'm8', lastMessageSeq: 8, lastMessageRev: 8 },
    });
  });

  it('writes nothing when every event was applied before', () => {
    const { change, outcomes } = foldProjections(chat(), [created({ rev: 2 }), created({ rev: 3 })], NOW);
    expect(change).toBeNull();
    expect(outcomes.every((o) => !o.apply && o.reason === 'ALREADY_APPLIED')).toBe(true);
  });
});
