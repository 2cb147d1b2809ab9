import { afterEach, describe, expect, it } from 'vitest';
import { api, tokenFor, newUserId } from '@chat/testkit';
import { faultDuringTraffic, sleep, startFaultWorld, type FaultWorld } from './world.js';

let w: FaultWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

const expectNothingLost = (outcome: { acknowledged: number; lost: number; duplicated: number }) => {
  expect(outcome.acknowledged).toBeGreaterThan(40);
  expect(outcome.lost).toBe(0);
  expect(outcome.duplicated).toBe(0);
};

/**
 * The shared infrastructure failing under traffic. No service process is restarted: each must
 * reconnect by itself, and nothing acknowledged may be lost or stored twice.
 */
describe('infrastructure killed during traffic', () => {
  for (const [what, line, store] of [
    [
      'Redis, started again empty a second later: counters re-seed from the store, nothing lost or doubled',
      'Redis SIGKILL',
      'redis',
    ],
    [
      'FerretDB, started again a second later: sends wait or are refused, then go on; nothing lost',
      'FerretDB SIGKILL',
      'store',
    ],
  ] as const) {
    it(`SIGKILL of ${what}`, async () => {
      w = await startFaultWorld({ ownStore: store === 'store' });
      const victim = w.infra[store]!;
      const outcome = await faultDuringTraffic(w, line, async () => {
        await victim.kill('SIGKILL');
        await sleep(1_000);
        await victim.restart();
      });
      expectNothingLost(outcome);
    }, 120_000);
  }

  it('the database unreachable for 10 s: /readyz says so, requests get 503 / UNAVAILABLE, recovery needs nothing', async () => {
    w = await startFaultWorld({ ownStore: true });
    const world = w;
    const store = world.infra.store!;
    const during: { ready: number[]; rest: number[] } = { ready: [], rest: [] };
    const outcome = await faultDuringTraffic(world, 'database unreachable 10 s', async () => {
      await store.kill('SIGKILL');
      await sleep(3_000);
      for (const s of ['chat2', 'message2'] as const) {
        during.ready.push((await fetch(`${world.services[s]!.url}/readyz`)).status);
      }
      during.rest.push((await api(world.edge, tokenFor(newUserId())).get('/api/chats/active')).status);
      await sleep(7_000);
      await store.restart();
    });
    expect(during.ready).toEqual([503, 503]);
    expect(during.rest).toEqual([503]);
    expect(outcome.refusals.length).toBeGreaterThan(0);
    // An INTERNAL names the error no outage rule knew: each service logs it with its error id.
    const unexpected = Object.entries(world.services).flatMap(([name, s]) =>
      s
        .output()
        .split('\n')
        .filter((line) => line.includes('"unexpected error"'))
        .map((line) => `${name}: ${line.slice(0, 1500)}`),
    );
    expect({ refusals: new Set(outcome.refusals), unexpected }).toEqual({
      refusals: new Set(['UNAVAILABLE']),
      unexpected: [],
    });
    expectNothingLost(outcome);
    for (const s of Object.values(world.services)) expect((await fetch(`${s.probeUrl}/readyz`)).status).toBe(200);
  }, 150_000);
});
