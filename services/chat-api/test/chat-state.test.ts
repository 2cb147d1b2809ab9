import { describe, expect, it } from 'vitest';
import type { ChatStatus } from '@chat/contracts';
import {
  decideRequest,
  decideSend,
  decideTransition,
  type ChatAction,
  type ChatState,
} from '../src/domain/chat-state.js';

const A = 'a'.repeat(24); // requester
const B = 'b'.repeat(24); // recipient
const C = 'c'.repeat(24); // stranger
const NOW = new Date('2026-01-01T00:00:00Z');
const statuses: ChatStatus[] = ['pending', 'accepted', 'rejected', 'auto_accepted', 'blocked'];

const state = (status: ChatStatus, extra: Partial<ChatState> = {}): ChatState => ({
  participants: [A, B],
  status,
  requestedBy: A,
  blockedBy: status === 'blocked' ? A : null,
  statusBeforeBlock: status === 'blocked' ? 'accepted' : null,
  ...extra,
});

describe('accept and reject', () => {
  it('the recipient accepts a pending request: accepted, with acceptedAt, event accepted', () => {
    expect(decideTransition(state('pending'), 'accept', B, NOW)).toEqual({
      ok: true,
      change: { status: 'accepted', acceptedAt: NOW },
      event: 'accepted',
    });
  });

  it('the recipient rejects a pending request: rejected, event rejected', () => {
    expect(decideTransition(state('pending'), 'reject', B, NOW)).toEqual({
      ok: true,
      change: { status: 'rejected' },
      event: 'rejected',
    });
  });

  it.each(['accept', 'reject'] as const)('the requester cannot %s their own request (FORBIDDEN)', (action) => {
    expect(decideTransition(state('pending'), action, A, NOW)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  for (const status of statuses.filter((s) => s !== 'pending')) {
    it.each(['accept', 'reject'] as const)(`%s of a ${status} chat is a CONFLICT, for either participant`, (action) => {
      expect(decideTransition(state(status), action, B, NOW)).toMatchObject({ ok: false, code: 'CONFLICT' });
      expect(decideTransition(state(status), action, A, NOW)).toMatchObject({ ok: false, code: 'CONFLICT' });
    });
  }
});

describe('block and unblock', () => {
  for (const status of statuses.filter((s) => s !== 'blocked')) {
    it(`either participant blocks a ${status} chat, which remembers the blocker and the status before`, () => {
      for (const actor of [A, B]) {
        expect(decideTransition(state(status), 'block', actor, NOW)).toEqual({
          ok: true,
          change: { status: 'blocked', blockedBy: actor, statusBeforeBlock: status },
          event: 'blocked',
        });
      }
    });
  }

  it('blocking a blocked chat is a CONFLICT', () => {
    expect(decideTransition(state('blocked'), 'block', B, NOW)).toMatchObject({ ok: false, code: 'CONFLICT' });
  });

  for (const before of ['pending', 'accepted', 'auto_accepted', 'rejected'] as const) {
    it(`unblock by the blocker restores ${before}`, () => {
      const blocked = state('blocked', { blockedBy: B, statusBeforeBlock: before });
      expect(decideTransition(blocked, 'unblock', B, NOW)).toEqual({
        ok: true,
        change: { status: before, blockedBy: null, statusBeforeBlock: null },
        event: 'unblocked',
      });
    });
  }

  it('the blocked user cannot unblock (FORBIDDEN)', () => {
    expect(decideTransition(state('blocked', { blockedBy: B }), 'unblock', A, NOW)).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
    });
  });

  for (const status of statuses.filter((s) => s !== 'blocked')) {
    it(`unblocking a ${status} chat is a CONFLICT`, () => {
      expect(decideTransition(state(status), 'unblock', A, NOW)).toMatchObject({ ok: false, code: 'CONFLICT' });
    });
  }
});

describe('strangers', () => {
  for (const action of ['accept', 'reject', 'block', 'unblock'] as ChatAction[]) {
    for (const status of statuses) {
      it(`a non-participant's ${action} of a ${status} chat is NOT_FOUND`, () => {
        expect(decideTransition(state(status), action, C, NOW)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
      });
    }
  }
  it('or-create by a non-participant changes nothing', () => {
    expect(decideRequest(state('pending'), C, NOW)).toBeNull();
  });
});

describe('or-create on an existing chat', () => {
  it('the recipient asking back turns a pending request into auto_accepted', () => {
    expect(decideRequest(state('pending'), B, NOW)).toEqual({
      ok: true,
      change: { status: 'auto_accepted', acceptedAt: NOW },
      event: 'auto_accepted',
    });
  });

  it('the requester asking again changes nothing', () => {
    expect(decideRequest(state('pending'), A, NOW)).toBeNull();
  });

  it('the user who rejected may request again: pending, requested by them', () => {
    expect(decideRequest(state('rejected'), B, NOW)).toEqual({
      ok: true,
      change: { status: 'pending', requestedBy: B, acceptedAt: null },
      event: 'created',
    });
  });

  it('the requester who was turned down stays rejected', () => {
    expect(decideRequest(state('rejected'), A, NOW)).toBeNull();
  });

  for (const status of ['accepted', 'auto_accepted', 'blocked'] as const) {
    it(`a ${status} chat is returned unchanged to either side`, () => {
      expect(decideRequest(state(status), A, NOW)).toBeNull();
      expect(decideRequest(state(status), B, NOW)).toBeNull();
    });
  }
});

describe('who may send', () => {
  it('both participants of accepted and auto_accepted chats', () => {
    for (const status of ['accepted', 'auto_accepted'] as const) {
      expect(decideSend(state(status), A)).toEqual({ ok: true });
      expect(decideSend(state(status), B)).toEqual({ ok: true });
    }
  });

  it('only the requester while pending (a message request)', () => {
    expect(decideSend(state('pending'), A)).toEqual({ ok: true });
    expect(decideSend(state('pending'), B)).toMatchObject({ ok: false, reason: 'STATUS' });
  });

  it('nobody in rejected or blocked chats, the blocker included', () => {
    for (const status of ['rejected', 'blocked'] as const) {
      for (const user of [A, B]) expect(decideSend(state(status), user)).toMatchObject({ ok: false, reason: 'STATUS' });
    }
  });

  it('never a non-participant', () => {
    for (const status of statuses)
      expect(decideSend(state(status), C)).toMatchObject({ ok: false, reason: 'NOT_PARTICIPANT' });
  });
});
