import { describe, expect, it } from 'vitest';
import { canAttach, sweepCutoff, sweepGraceMs } from '../src/domain/retention.js';
import { decideQuota, quotaRefusal } from '../src/domain/storage-quota.js';

describe('decideQuota', () => {
  const quotaBytes = 1000;
  it('fits while stored and held bytes (this file’s hold included) stay within the quota', () => {
    expect(decideQuota({ storedBytes: 600, heldBytes: 400, fileBytes: 400, quotaBytes })).toBe('fits');
  });
  it('is full (413) when the file does not fit beside the stored bytes alone', () => {
    expect(decideQuota({ storedBytes: 700, heldBytes: 400, fileBytes: 400, quotaBytes })).toBe('full');
  });
  it('is busy (429) when only other uploads in progress take the room', () => {
    expect(decideQuota({ storedBytes: 500, heldBytes: 900, fileBytes: 400, quotaBytes })).toBe('busy');
  });
});

describe('unattached uploads', () => {
  const ttl = 24 * 3600_000;
  const uploaded = new Date('2025-01-01T00:00:00Z');
  const at = (ms: number) => new Date(uploaded.getTime() + ms);

  it('can be attached until their TTL, an attached one always', () => {
    expect(canAttach({ attached: false, createdAt: uploaded }, at(ttl - 1), ttl)).toBe(true);
    expect(canAttach({ attached: false, createdAt: uploaded }, at(ttl), ttl)).toBe(false);
    expect(canAttach({ attached: true, createdAt: uploaded }, at(10 * ttl), ttl)).toBe(true);
  });

  it('are swept only a grace period after that (a tenth of the TTL, at most a minute)', () => {
    expect(sweepGraceMs(ttl)).toBe(60_000);
    expect(sweepGraceMs(2000)).toBe(200);
    const now = at(ttl + 60_000);
    expect(sweepCutoff(now, ttl).getTime()).toBe(uploaded.getTime());
  });
});

describe('storage quota refusals', () => {
  it('a full quota is 413 and names the file it weighed, if any; busy is 429 with a retry after a second', () => {
    const full = quotaRefusal('full', { storedBytes: 90, quotaBytes: 100, fileBytes: 20 });
    expect(full.code).toBe('PAYLOAD_TOO_LARGE');
    expect(full.message).toBe(
      'Storage quota exceeded: you store 90 of your 100 bytes and this file needs 20; delete files to make room',
    );
    expect(full.details).toEqual({ reason: 'STORAGE_QUOTA', limitBytes: 100, usedBytes: 90 });
    expect(quotaRefusal('full', { storedBytes: 100, quotaBytes: 100 }).message).not.toContain('this file');
    const busy = quotaRefusal('busy', { storedBytes: 40, quotaBytes: 100, fileBytes: 20 });
    expect(busy.code).toBe('RATE_LIMITED');
    expect(busy.details).toEqual({ reason: 'STORAGE_QUOTA', limitBytes: 100, usedBytes: 40, retryAfterSeconds: 1 });
  });
});
