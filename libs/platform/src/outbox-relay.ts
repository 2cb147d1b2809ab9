import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * The outbox pattern of chat-api and message-api: an event is written with the change it
 * reports, published right after the write, and left in the outbox when that publish fails.
 * The relay publishes what was left. JetStream de-duplicates on the event id, so a double
 * publish (request and relay, or two replicas' relays) is stored once.
 */
export interface OutboxPublisher {
  /** Publishes one event; on failure counts and logs it and answers false (it stays for the relay). */
  publish(subject: string, event: { eventId: string }): Promise<boolean>;
}

export function outboxPublisher(
  publish: (subject: string, event: { eventId: string }) => Promise<unknown>,
  logger: Logger,
  metrics: Metrics,
): OutboxPublisher {
  const failures = metrics.counter(
    'outbox_publish_failures_total',
    'Event publishes that failed (the relay retries them)',
  );
  return {
    async publish(subject, event) {
      try {
        await publish(subject, event);
        return true;
      } catch (err) {
        failures.inc();
        logger.warn(
          { err: (err as Error).message, subject, eventId: event.eventId },
          'event not published yet, the relay will retry',
        );
        return false;
      }
    },
  };
}

export interface OutboxRelay {
  /** Runs one pass now (tests; the relay also runs on its timer), after any pass already running. */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for the pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` now and every `intervalMs`, never two passes at once in this process. A failed
 * pass is logged; the next one starts from what is still in the outbox.
 *
 * A pass may answer when the oldest event it found waiting past its due time was written; with
 * `metrics`, `outbox_oldest_unpublished_age_seconds` then reads how long ago that was (growing
 * until a pass finds none, so a relay that fails or hangs shows too), and 0 when none waits.
 */
export function startOutboxRelay(
  pass: () => Promise<Date | undefined | void>,
  opts: { intervalMs: number; logger: Logger; metrics?: Metrics },
): OutboxRelay {
  let running: Promise<void> = Promise.resolve();
  /** Passes started or waiting: a tick adds none while one is, so a slow pass is not queued behind. */
  let pending = 0;
  let oldestWaiting: Date | undefined;
  opts.metrics?.gauge(
    'outbox_oldest_unpublished_age_seconds',
    "Age of the oldest event the outbox relay's last pass found unpublished past its due time (0: none)",
    () => (oldestWaiting ? Math.max(0, Date.now() - oldestWaiting.getTime()) / 1000 : 0),
  );
  const runOnce = (): Promise<void> => {
    pending += 1;
    running = running
      .then(pass)
      .then((oldest) => {
        oldestWaiting = oldest ?? undefined;
      })
      .catch((err: unknown) => opts.logger.warn({ err }, 'outbox relay pass failed'))
      .finally(() => (pending -= 1));
    return running;
  };
  const tick = () => {
    if (pending === 0) void runOnce();
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  return {
    runOnce,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
