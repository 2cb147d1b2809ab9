import { afterEach, describe, expect, it } from 'vitest';
import { faultDuringTraffic, sleep, startFaultWorld, type FaultWorld } from './world.js';

let w: FaultWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

/**
 * Redis as a Sentinel set: a primary, its replica and three sentinels (down-after 1 s), every
 * service given the sentinels. The primary dies for good; nothing restarts it or any service.
 */
describe('a Sentinel-managed Redis', () => {
  it('SIGKILL of the primary during traffic: the replica is promoted, sends go on within the failover time, nothing lost or doubled', async () => {
    w = await startFaultWorld({ redisSentinel: true });
    const set = w.infra.redisSentinel!;
    const processes = Object.values(w.services).map((s) => s.process);
    let promotedIn = 0;
    const outcome = await faultDuringTraffic(w, 'Redis primary SIGKILL (Sentinel promotes the replica)', async () => {
      const killedAt = Date.now();
      await set.primary.kill('SIGKILL');
      while ((await set.primaryPort()) !== set.replica.port) {
        if (Date.now() - killedAt > 20_000) throw new Error('the sentinels promoted no replica in 20 s');
        await sleep(100);
      }
      promotedIn = (Date.now() - killedAt) / 1000;
    });
    console.info(
      `fault Redis primary SIGKILL: the sentinels promoted the replica ${promotedIn.toFixed(1)} s after the kill`,
    );
    expect(outcome.acknowledged).toBeGreaterThan(40);
    expect(outcome.lost).toBe(0);
    expect(outcome.duplicated).toBe(0);
    expect(outcome.stalled).toBeLessThan(promotedIn + 5);
    // No process restarted, and each is ready again on the promoted primary.
    expect(processes.map((p) => p.exitCode ?? p.signalCode)).toEqual(processes.map(() => null));
    for (const s of Object.values(w.services)) expect((await fetch(`${s.probeUrl}/readyz`)).status).toBe(200);
  }, 120_000);
});
