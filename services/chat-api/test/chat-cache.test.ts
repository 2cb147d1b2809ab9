import { describe, expect, it } from 'vitest';
import { ChatCache } from '../src/data/chat-cache.js';
import type { ChatRecord } from '../src/domain/chat.js';

const chat = (status: ChatRecord['status']) => ({ id: 'c'.repeat(24), status }) as ChatRecord;

describe('access cache', () => {
  it('answers from memory until invalidated', async () => {
    const cache = new ChatCache({ ttlMs: 60_000 });
    let loads = 0;
    const load = async () => (loads++, chat('accepted'));
    await cache.get('x', load);
    await cache.get('x', load);
    expect(loads).toBe(1);
    cache.invalidate('x');
    await cache.get('x', load);
    expect(loads).toBe(2);
  });

  it('never caches an unknown chat', async () => {
    const cache = new ChatCache({ ttlMs: 60_000 });
    let loads = 0;
    await cache.get('x', async () => (loads++, null));
    await cache.get('x', async () => (loads++, null));
    expect(loads).toBe(2);
  });

  it('drops a read that raced with an invalidation instead of caching the stale copy', async () => {
    const cache = new ChatCache({ ttlMs: 60_000 });
    let release!: () => void;
    const slow = cache.get('x', () => new Promise((r) => (release = () => r(chat('accepted')))));
    cache.invalidate('x'); // a write lands while the read is in flight
    release();
    expect((await slow)?.status).toBe('accepted');
    expect((await cache.get('x', async () => chat('blocked')))?.status).toBe('blocked');
  });

  it('expires entries after the ttl, and a ttl of 0 disables caching', async () => {
    const short = new ChatCache({ ttlMs: 20 });
    await short.get('x', async () => chat('accepted'));
    await new Promise((r) => setTimeout(r, 40));
    expect((await short.get('x', async () => chat('blocked')))?.status).toBe('blocked');
    const off = new ChatCache({ ttlMs: 0 });
    await off.get('x', async () => chat('accepted'));
    expect((await off.get('x', async () => chat('blocked')))?.status).toBe('blocked');
  });
});
