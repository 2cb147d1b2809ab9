import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessageStore, type Changes, type Message, type RestClient } from '@chat/client';
// Internal to the package (not exported): taken from the build, as the other tests take the package.
import { CatchUp } from '../dist/catch-up.js';

import { msg as message } from './support/messages.js';

const msg = (n: number, rev = n): Message => message(n, { rev });

/**
 * A store caught up to rev 1 (message 1) and its CatchUp over a fake feed that answers `feedRev`
 * with nothing in it; `feedCalls` counts `/changes` requests. Live events are fed as ChatHandle
 * does: apply, note the revs, then `afterGap()`.
 */
function setup() {
  const store = new MessageStore(() => undefined);
  store.beginSync();
  store.loadNewest([msg(1)], true);
  store.endSync();
  const feed = { calls: 0, rev: 1 };
  const rest = {
    messages: {
      changes: async (): Promise<{ data: Changes }> => {
        feed.calls++;
        return { data: { changes: [], rev: feed.rev, hasMore: false } };
      },
    },
  } as unknown as RestClient;
  const catchUp = new CatchUp('c'.repeat(24), store, {
    rest,
    pageSize: 50,
    active: () => true,
    onParticipants: () => undefined,
    onError: () => undefined,
    onSynced: () => undefined,
  });
  const live = (revs: number[]) => {
    store.noteLive(revs);
    catchUp.afterGap();
  };
  return { store, feed, catchUp, live };
}

describe('CatchUp after live events', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a run of live events whose revs follow each other asks the feed nothing', async () => {
    const { store, feed, live } = setup();
    for (let rev = 2; rev <= 20; rev++) {
      live([rev]);
      await vi.advanceTimersByTimeAsync(20);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(feed.calls).toBe(0);
    expect(store.cursor).toBe(20);
  });

  it('a rev still missing after the wait is caught up, once; the feed cursor closes the gap', async () => {
    const { store, feed, live } = setup();
    live([3]); // rev 2 was lost
    await vi.advanceTimersByTimeAsync(140);
    expect(feed.calls).toBe(0);
    feed.rev = 3;
    await vi.advanceTimersByTimeAsync(20);
    expect(feed.calls).toBe(1);
    expect(store.cursor).toBe(3);
    expect(store.hasRevGap).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(feed.calls).toBe(1);
  });

  it('the missing rev arriving late, within the wait, makes no request', async () => {
    const { store, feed, live } = setup();
    live([3]);
    await vi.advanceTimersByTimeAsync(100);
    live([2]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(feed.calls).toBe(0);
    expect(store.cursor).toBe(3);
  });

  it('events that keep coming do not put off the catch-up of a gap', async () => {
    const { feed, live } = setup();
    feed.rev = 30;
    live([3]);
    for (let rev = 4; rev <= 30; rev++) {
      await vi.advanceTimersByTimeAsync(20);
      live([rev]);
    }
    expect(feed.calls).toBe(1);
  });
});
