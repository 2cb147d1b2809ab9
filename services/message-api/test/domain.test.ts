import { describe, expect, it } from 'vitest';
import { escapeRegex, isVisibleTo, preview, reactionKey, resolveDeleteScope } from '../src/domain/visibility.js';

const viewer = { chatId: 'c', userId: 'u1', clearedAt: null };
const at = new Date('2024-01-02T00:00:00Z');

describe('visibility', () => {
  it('hides messages deleted for everyone, hidden by the viewer, or older than the viewer’s chat deletion', () => {
    expect(isVisibleTo({ createdAt: at }, viewer)).toBe(true);
    expect(isVisibleTo({ createdAt: at, deletedForEveryone: true }, viewer)).toBe(false);
    expect(isVisibleTo({ createdAt: at, deletedBy: ['u1'] }, viewer)).toBe(false);
    expect(isVisibleTo({ createdAt: at, deletedBy: ['u2'] }, viewer)).toBe(true);
    expect(isVisibleTo({ createdAt: at }, { ...viewer, clearedAt: at })).toBe(false);
    expect(isVisibleTo({ createdAt: at }, { ...viewer, clearedAt: new Date(at.getTime() - 1) })).toBe(true);
  });
});

describe('escapeRegex', () => {
  it('makes every metacharacter literal', () => {
    for (const s of ['.*', '(', '[', '\\', '$where', 'a+b?', '^x$', '{1,2}', 'a|b', '(a+)+$']) {
      expect(new RegExp(escapeRegex(s)).test(s)).toBe(true);
      expect(new RegExp(`^${escapeRegex(s)}$`).test(`${s}x`)).toBe(false);
    }
    expect(new RegExp(escapeRegex('.*')).test('anything')).toBe(false);
  });
});

describe('resolveDeleteScope', () => {
  it('defaults to everyone for the sender and me for the receiver; the receiver may not delete for everyone', () => {
    expect(resolveDeleteScope(undefined, true)).toBe('everyone');
    expect(resolveDeleteScope(undefined, false)).toBe('me');
    expect(resolveDeleteScope('me', true)).toBe('me');
    expect(resolveDeleteScope('everyone', false)).toBe('forbidden');
  });
});

describe('small helpers', () => {
  it('previews by code points and keys reactions by user and emoji', () => {
    expect(preview('😀'.repeat(150), 100)).toBe(`${'😀'.repeat(100)}…`);
    expect(preview('short')).toBe('short');
    expect(reactionKey('u1', '👍')).not.toBe(reactionKey('u2', '👍'));
  });
});
