import { describe, expect, it } from 'vitest';
import { hasAcknowledged, subjectMatches, type DurableProgress } from '../src/stream-erasure.js';

describe('subjectMatches', () => {
  it.each([
    ['messages.>', 'messages.c1.created.m1', true],
    ['messages.>', 'messages', false],
    ['messages.*.deleted.*', 'messages.c1.deleted.m1', true],
    ['messages.*.deleted.*', 'messages.c1.created.m1', false],
    ['messages.*.deleted.*', 'messages.c1.deleted', false],
    ['messages.*.deleted.*', 'messages.c1.deleted.m1.x', false],
    ['messages.c1.created.m1', 'messages.c1.created.m1', true],
    ['messages.c1.created.m1', 'messages.c1.created.m2', false],
    ['chats.>', 'messages.c1.created.m1', false],
  ])('%s takes %s: %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });
});

describe('hasAcknowledged', () => {
  const subject = 'messages.c1.created.m1';
  const consumer = (p: Partial<DurableProgress>): DurableProgress => ({
    name: 'c',
    filters: ['messages.>'],
    ackFloor: 0,
    delivered: 0,
    ackPending: 0,
    ...p,
  });

  it('is true at or below the ack floor', () => {
    expect(hasAcknowledged(consumer({ ackFloor: 10, delivered: 12, ackPending: 1 }), subject, 10)).toBe(true);
  });

  it('is false for an event not delivered yet (a consumer behind)', () => {
    expect(hasAcknowledged(consumer({ ackFloor: 5, delivered: 5 }), subject, 10)).toBe(false);
  });

  it('is false while anything it was given is unacknowledged, even an event above the floor', () => {
    expect(hasAcknowledged(consumer({ ackFloor: 5, delivered: 12, ackPending: 1 }), subject, 10)).toBe(false);
  });

  it('is true for a delivered event when nothing waits for an ack (a filtered floor can lag the stream)', () => {
    expect(hasAcknowledged(consumer({ ackFloor: 3, delivered: 10 }), subject, 10)).toBe(true);
  });

  it('is true for a consumer whose filters do not take the subject, however far behind', () => {
    expect(hasAcknowledged(consumer({ filters: ['messages.*.deleted.*'] }), subject, 10)).toBe(true);
  });

  it('treats a consumer without filters as taking every subject', () => {
    expect(hasAcknowledged(consumer({ filters: [] }), subject, 10)).toBe(false);
  });
});
