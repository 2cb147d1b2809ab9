import { describe, expect, it } from 'vitest';
import { createLogger, createMetrics, outboxPublisher, startOutboxRelay } from '@chat/platform';

const logger = createLogger('outbox-relay-test', 'silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startOutboxRelay', () => {
  it('runs a pass at once and then on its interval, never two at once, and stop waits for the one running', async () => {
    let passes = 0;
    let inside = 0;
    let most = 0;
    let finished = 0;
    const relay = startOutboxRelay(
      async () => {
        passes++;
        inside++;
        most = Math.max(most, inside);
        await sleep(30); // slower than the interval: ticks meanwhile must not queue passes
        inside--;
        finished++;
      },
      { intervalMs: 5, logger },
    );
    expect(passes).toBe(0); // the first pass starts on the next turn, not inside startOutboxRelay
    await sleep(100);
    await relay.stop();
    const atStop = passes;
    expect(most).toBe(1);
    expect(atStop).toBeGreaterThanOrEqual(2);
    expect(atStop).toBeLessThanOrEqual(5);
    expect(finished).toBe(atStop);
    await sleep(30);
    expect(passes).toBe(atStop);
  });

  it('goes on after a pass fails, and runOnce runs a pass after the one in progress', async () => {
    const outcomes = [new Error('store down'), undefined, undefined];
    const ran: string[] = [];
    const relay = startOutboxRelay(
      async () => {
        const next = outcomes.shift();
        ran.push(next ? 'failed' : 'ok');
        if (next) throw next;
      },
      { intervalMs: 60_000, logger },
    );
    await relay.runOnce();
    expect(ran).toEqual(['failed', 'ok']);
    await relay.stop();
  });
});

describe('the outbox age a relay reports', () => {
  const age = async (metrics: ReturnType<typeof createMetrics>) => {
    const text = await metrics.registry.getSingleMetricAsString('outbox_oldest_unpublished_age_seconds');
    return Number(/outbox_oldest_unpublished_age_seconds\{[^}]*\} (\S+)/.exec(text)?.[1]);
  };

  it('is the age of the oldest event the last pass found waiting, growing until a pass finds none; 0 then', async () => {
    const metrics = createMetrics('outbox-relay-test');
    const found: (Date | undefined | Error)[] = [new Date(Date.now() - 30_000), new Error('store down'), undefined];
    const relay = startOutboxRelay(
      async () => {
        const next = found.shift();
        if (next instanceof Error) throw next;
        return next;
      },
      { intervalMs: 60_000, logger, metrics },
    );
    await relay.runOnce(); // the first pass (started at once), then this one
    expect(found).toEqual([undefined]);
    const afterFailure = await age(metrics);
    expect(afterFailure).toBeGreaterThanOrEqual(30);
    expect(afterFailure).toBeLessThan(35); // a failed pass leaves the reading, which keeps growing
    await sleep(1_100);
    expect(await age(metrics)).toBeGreaterThan(afterFailure + 1);
    await relay.runOnce();
    expect(await age(metrics)).toBe(0);
    await relay.stop();
  });
});

describe('outboxPublisher', () => {
  it('answers true once published, and false (counted) when the publish fails', async () => {
    const metrics = createMetrics('outbox-relay-test');
    const sent: string[] = [];
    let down = false;
    const publisher = outboxPublisher(
      async (subject, event) => {
        if (down) throw new Error('no responders');
        sent.push(`${subject}:${event.eventId}`);
      },
      logger,
      metrics,
    );
    expect(await publisher.publish('a.b', { eventId: 'e1' })).toBe(true);
    down = true;
    expect(await publisher.publish('a.b', { eventId: 'e2' })).toBe(false);
    expect(sent).toEqual(['a.b:e1']);
    expect(await metrics.registry.getSingleMetricAsString('outbox_publish_failures_total')).toMatch(
      /outbox_publish_failures_total\{service="outbox-relay-test"\} 1/,
    );
  });
});
