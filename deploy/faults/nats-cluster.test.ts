import { afterEach, describe, expect, it } from 'vitest';
import { faultDuringTraffic, sleep, startFaultWorld, type FaultWorld } from './world.js';

let w: FaultWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

/**
 * NATS as production runs it: three JetStream servers in a cluster, every stream replicated
 * three times, every service given all three addresses.
 */
describe('a three-node NATS cluster', () => {
  it('SIGKILL of one node during traffic loses nothing and stops nothing: clients see no UNAVAILABLE', async () => {
    w = await startFaultWorld({ natsCluster: 3 });
    const node = w.infra.natsNodes[0]!;
    const outcome = await faultDuringTraffic(w, 'NATS node SIGKILL (3-node cluster)', async () => {
      await node.kill('SIGKILL');
    });
    expect(outcome.acknowledged).toBeGreaterThan(40);
    expect(outcome.lost).toBe(0);
    expect(outcome.duplicated).toBe(0);
    expect(outcome.refusals.filter((code) => code === 'UNAVAILABLE' || code === 'NO_ANSWER')).toEqual([]);
  }, 150_000);

  it('a restart of the whole cluster loses nothing acknowledged', async () => {
    w = await startFaultWorld({ natsCluster: 3 });
    const nodes = w.infra.natsNodes;
    const outcome = await faultDuringTraffic(w, 'NATS whole cluster restarted', async () => {
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
      await sleep(1_000);
      await Promise.all(nodes.map((n) => n.restart()));
    });
    expect(outcome.acknowledged).toBeGreaterThan(40);
    expect(outcome.lost).toBe(0);
    expect(outcome.duplicated).toBe(0);
  }, 150_000);
});
