import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '@chat/platform';
import { faultDuringTraffic, sleep, startFaultWorld, type FaultOutcome, type FaultWorld } from './world.js';

let w: FaultWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

/** The replication offset a node has reached (`master_repl_offset` of INFO replication). */
async function replOffset(url: string): Promise<number> {
  const client = createRedis(url, 'fault-probe');
  client.on('error', () => undefined);
  try {
    return Number(/master_repl_offset:(\d+)/.exec(await client.info('replication'))?.[1]);
  } finally {
    client.disconnect();
  }
}

/**
 * Under the four conversations, SIGKILLs the primary of the world's Sentinel set (after
 * `beforeKill`) and waits for the sentinels to promote the replica; nothing restarts it or any
 * service. Checks the outcome and answers it with the promotion's time (s).
 */
async function killPrimary(
  world: FaultWorld,
  line: string,
  beforeKill: () => Promise<void> = async () => undefined,
): Promise<FaultOutcome & { promotedIn: number }> {
  const set = world.infra.redisSentinel!;
  const processes = Object.values(world.services).map((s) => s.process);
  let promotedIn = 0;
  const outcome = await faultDuringTraffic(world, line, async () => {
    await beforeKill();
    const killedAt = Date.now();
    await set.primary.kill('SIGKILL');
    await set.untilPrimaryIs(set.replica.port, 20_000, 'the sentinels promoted no replica in 20 s');
    promotedIn = (Date.now() - killedAt) / 1000;
  }).catch((err: Error) => {
    // What the services logged (warnings and errors) says which link did not come back.
    const logs = Object.entries(world.services).map(([name, s]) => `--- ${name}\n${s.output().slice(-4000)}`);
    throw new Error(`${err.message}\n${logs.join('\n')}`);
  });
  console.info(`fault ${line}: the sentinels promoted the replica ${promotedIn.toFixed(1)} s after the kill`);
  expect(outcome.acknowledged).toBeGreaterThan(40);
  expect(outcome.lost).toBe(0);
  expect(outcome.duplicated).toBe(0);
  // A send waits out the promotion, then one retry or two: no longer.
  expect(outcome.stalled).toBeLessThan(promotedIn + 5);
  // No process restarted, and each is ready again on the promoted primary.
  expect(processes.map((p) => p.exitCode ?? p.signalCode)).toEqual(processes.map(() => null));
  const unready: string[] = [];
  for (const [name, s] of Object.entries(world.services)) {
    const res = await fetch(`${s.probeUrl}/readyz`);
    if (res.status !== 200) unready.push(`${name}: ${res.status} ${await res.text()}\n${s.output().slice(-3000)}`);
  }
  expect(unready).toEqual([]);
  return { ...outcome, promotedIn };
}

/**
 * Redis as a Sentinel set: a primary, its replica and three sentinels (down-after 1 s), every
 * service given the sentinels. The primary dies for good.
 */
describe('a Sentinel-managed Redis', () => {
  it('SIGKILL of the primary during traffic: the replica is promoted, sends go on within the failover time, nothing lost or doubled', async () => {
    w = await startFaultWorld({ redisSentinel: true });
    await killPrimary(w, 'Redis primary SIGKILL (Sentinel promotes the replica)');
  }, 120_000);

  it('SIGKILL of a primary whose replica lags 1.5 s behind: the writes the promotion loses (counters, in-flight and unpublished marks) are caught by the unique indexes and the re-seeding', async () => {
    w = await startFaultWorld({ redisSentinel: true });
    const set = w.infra.redisSentinel!;
    let behind = 0;
    await killPrimary(w, 'Redis primary SIGKILL, replica 1.5 s behind', async () => {
      // Replication is asynchronous: cut the replica's link (its user gone, it cannot log in
      // again) so that the last 1.5 s of writes reach the primary only, and die with it.
      const admin = createRedis(set.primary.url, 'fault-admin');
      admin.on('error', () => undefined);
      await admin.call('ACL', 'DELUSER', 'replication');
      admin.disconnect();
      await sleep(1_500);
      behind = (await replOffset(set.primary.url)) - (await replOffset(set.replica.url));
    });
    console.info(`fault Redis primary SIGKILL, replica behind: the promotion lost ${behind} bytes of writes`);
    expect(behind).toBeGreaterThan(0);
  }, 120_000);
});
