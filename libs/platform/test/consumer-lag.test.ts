import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { Bus, createLogger, createMetrics, watchConsumerLag } from '@chat/platform';
import { NATS_TEST_CREDENTIALS, startNatsServer, type RunningProcess } from '@chat/testkit';

const logger = createLogger('consumer-lag-test', 'silent');
const durable = { stream: 'LAG', name: 'lag-reader' };

describe('watchConsumerLag', () => {
  let nats: RunningProcess;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await Bus.connect({ credentials: NATS_TEST_CREDENTIALS, url: nats.url, name: 'lag', logger, timeoutMs: 500 });
    await bus.ensureStreams([{ name: durable.stream, subjects: ['lag.>'] }]);
    const jsm = await jetstreamManager(bus.nc);
    await jsm.consumers.add(durable.stream, { durable_name: durable.name, ack_policy: AckPolicy.Explicit });
  });

  afterAll(async () => {
    await bus.drain();
    await nats.stop();
  });

  const gaugeValue = async (metrics: ReturnType<typeof createMetrics>, name: string) => {
    const text = await metrics.registry.getSingleMetricAsString(name);
    return Number(new RegExp(`${name}\\{[^}]*durable="${durable.name}"[^}]*\\} (\\S+)`).exec(text)?.[1]);
  };

  it("reads the durable's pending and ack-pending events from JetStream, by stream and durable", async () => {
    const metrics = createMetrics('consumer-lag-test');
    const lag = watchConsumerLag(bus, metrics, [durable], { logger, intervalMs: 60_000 });
    for (let i = 0; i < 3; i++) await bus.publish('lag.one', { eventId: `e${i}` });
    await lag.pollOnce();
    expect(await gaugeValue(metrics, 'nats_consumer_pending_messages')).toBe(3);
    expect(await gaugeValue(metrics, 'nats_consumer_ack_pending_messages')).toBe(0);

    const consumer = await bus.js.consumers.get(durable.stream, durable.name);
    const first = await consumer.next({ expires: 2_000 });
    expect(first).not.toBeNull();
    await lag.pollOnce();
    expect(await gaugeValue(metrics, 'nats_consumer_pending_messages')).toBe(2);
    expect(await gaugeValue(metrics, 'nats_consumer_ack_pending_messages')).toBe(1);
    expect(await metrics.registry.getSingleMetricAsString('nats_consumer_pending_messages')).toContain(
      `stream="${durable.stream}"`,
    );
    lag.stop();
  });
});
