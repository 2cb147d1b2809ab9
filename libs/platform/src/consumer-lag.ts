import { Gauge } from 'prom-client';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Bus } from './nats.js';

export interface ConsumerLagWatch {
  /** Reads every durable's standing now (tests; the watch also reads on its own timer). */
  pollOnce(): Promise<void>;
  stop(): void;
}

/**
 * Reads where this service's durable consumers stand (JetStream consumer info) every
 * `intervalMs`, into two gauges by durable: `nats_consumer_pending_messages` (in the stream,
 * not delivered yet: the lag) and `nats_consumer_ack_pending_messages` (delivered, not acked
 * yet). Every replica of the service reports the same durable; dashboards take the max.
 * @example const lag = watchConsumerLag(links.bus, metrics, [DURABLES.chatProjection], { logger });
 */
export function watchConsumerLag(
  bus: Bus,
  metrics: Metrics,
  /** Durable consumers by stream and name (`DURABLES` of libs/contracts). */
  durables: readonly { stream: string; name: string }[],
  opts: { logger: Logger; intervalMs?: number },
): ConsumerLagWatch {
  const gauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['stream', 'durable'], registers: [metrics.registry] });
  const pending = gauge('nats_consumer_pending_messages', 'Events of the stream not delivered to the durable yet');
  const ackPending = gauge('nats_consumer_ack_pending_messages', 'Events delivered to the durable and not acked yet');
  let manager: Promise<JetStreamManager> | undefined;
  const pollOnce = async () => {
    if (!bus.isConnected()) return;
    manager ??= jetstreamManager(bus.nc).catch((err: unknown) => {
      manager = undefined;
      throw err;
    });
    const jsm = await manager;
    await Promise.all(
      durables.map(async ({ stream, name }) => {
        const info = await jsm.consumers.info(stream, name);
        const labels = { stream, durable: name };
        pending.set(labels, info.num_pending);
        ackPending.set(labels, info.num_ack_pending);
      }),
    );
  };
  // A durable not created yet (its stream not declared yet) or a NATS hiccup: the next tick reads again.
  const tick = () =>
    void pollOnce().catch((err: unknown) =>
      opts.logger.debug({ err: (err as Error).message }, 'consumer info not read'),
    );
  tick();
  const timer = setInterval(tick, opts.intervalMs ?? 5_000);
  timer.unref();
  return { pollOnce, stop: () => clearInterval(timer) };
}
