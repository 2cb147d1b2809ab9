// "Idle" means no clients AND no backlog: after a burst of sends the JetStream consumers (the
// gateways' broadcasts, chat-api's projection) may still be working through events, and that
// CPU belongs to the load, not to idling. This waits, bounded, until no consumer has pending
// or unacknowledged messages.
import { connect } from '@nats-io/transport-node';
import { NATS_TEST_CREDENTIALS } from '@chat/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { performance } from 'node:perf_hooks';
import { sleep } from './stats.mjs';

/** Messages still to be delivered or acknowledged, summed over every consumer of every stream. */
async function backlog(jsm) {
  let pending = 0;
  for await (const stream of jsm.streams.list()) {
    for await (const c of jsm.consumers.list(stream.config.name)) pending += c.num_pending + c.num_ack_pending;
  }
  return pending;
}

/** Polls until the backlog is 0 twice in a row or `timeoutMs` passes; says which. */
export async function waitForQuiet(natsUrl, { timeoutMs = 90_000 } = {}) {
  const nc = await connect({ servers: natsUrl, ...NATS_TEST_CREDENTIALS });
  const started = performance.now();
  try {
    const jsm = await jetstreamManager(nc);
    let zeros = 0;
    let pending = Infinity;
    while (zeros < 2 && performance.now() - started < timeoutMs) {
      pending = await backlog(jsm);
      zeros = pending === 0 ? zeros + 1 : 0;
      if (zeros < 2) await sleep(1_000);
    }
    return { settled: zeros >= 2, seconds: (performance.now() - started) / 1000, pending };
  } finally {
    await nc.close();
  }
}
