import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AppError } from '@chat/platform';
import { stagingQuota } from '../src/entry/http/upload/staging-quota.js';

const refusal = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a refusal');
};

describe('stagingQuota', () => {
  it('counts a user across their requests: past the quota it is 429 while others hold bytes, 413 when one request alone is over', () => {
    const quota = stagingQuota(100);
    const first = quota.lease('u1', new EventEmitter());
    const second = quota.lease('u1', new EventEmitter());
    first.take(60);
    second.take(40);
    expect(quota.heldBy('u1')).toBe(100);
    expect(refusal(() => second.take(1))).toMatchObject({
      status: 429,
      details: { reason: 'STAGING_QUOTA', limitBytes: 100, retryAfterSeconds: 1 },
    });
    expect(refusal(() => first.take(41))).toMatchObject({ status: 413, details: { reason: 'STAGING_QUOTA' } });
    expect(quota.heldBy('u1')).toBe(100); // a refused take counts nothing
    quota.lease('u2', new EventEmitter()).take(100); // another user has their own quota
    expect(quota.heldBy('u2')).toBe(100);
  });

  it('gives back what a request deleted, and everything it holds when its response finishes or closes, once', () => {
    const quota = stagingQuota(100);
    const finished = new EventEmitter();
    const closed = new EventEmitter();
    const a = quota.lease('u1', finished);
    const b = quota.lease('u1', closed);
    a.take(50);
    b.take(30);
    a.give(20);
    expect(quota.heldBy('u1')).toBe(60);
    finished.emit('finish');
    finished.emit('close');
    expect(quota.heldBy('u1')).toBe(30);
    a.give(30); // after the end: nothing left to give
    expect(quota.heldBy('u1')).toBe(30);
    closed.emit('close');
    expect(quota.heldBy('u1')).toBe(0);
    expect(refusal(() => b.take(1))).toMatchObject({ status: 400, message: 'Upload interrupted' });
    expect(quota.heldBy('u1')).toBe(0);
  });
});
