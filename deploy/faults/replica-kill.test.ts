import { afterEach, describe, expect, it } from 'vitest';
import { faultDuringTraffic, startFaultWorld, type FaultWorld } from './world.js';

let w: FaultWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

/**
 * SIGKILL of one service process while four conversations send steadily through the edge,
 * senders and receivers on different gateway nodes; the other replica or node carries on and
 * clients reconnect through the edge. Nothing acknowledged may be lost or stored twice, and
 * every receiver's unread count must come to equal what they were sent.
 */
describe('a service process killed during traffic', () => {
  for (const [victim, line, what] of [
    [
      'message1',
      'message-api SIGKILL',
      'a message-api replica: loses and doubles no acknowledged message; counts come right',
    ],
    ['chat1', 'chat-api SIGKILL', 'a chat-api replica: the events it held are projected by the other, once'],
    [
      'gw1',
      'gateway node SIGKILL',
      'a gateway node: its clients reconnect through the edge to the other node and lose nothing',
    ],
  ] as const) {
    it(`SIGKILL of ${what}`, async () => {
      w = await startFaultWorld();
      const world = w;
      const outcome = await faultDuringTraffic(world, line, async () => {
        await world.services[victim]!.stop('SIGKILL');
      });
      expect(outcome.acknowledged).toBeGreaterThan(40);
      expect(outcome.lost).toBe(0);
      expect(outcome.duplicated).toBe(0);
    }, 120_000);
  }

  it('a message-api replica that dies between storing a batch and publishing its events: the relay publishes them once', async () => {
    // Its 60th stored batch (a second or so into the traffic, which it shares with the other replica).
    w = await startFaultWorld({}, { message1: { TEST_CRASH_AFTER_STORE: '60' } });
    const victim = w.services.message1!.process;
    const outcome = await faultDuringTraffic(w, 'message-api dies after a store, before its publish', async () => {
      if (victim.exitCode !== null || victim.signalCode !== null) return;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('message1 did not crash after its 60th batch')), 30_000);
        victim.once('exit', () => resolve(clearTimeout(timer)));
      });
    });
    expect(victim.signalCode).toBe('SIGKILL');
    expect(outcome.acknowledged).toBeGreaterThan(40);
    expect(outcome.lost).toBe(0);
    expect(outcome.duplicated).toBe(0);
  }, 120_000);
});
