import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RequestDef } from '@chat/contracts';
import { AppError, Bus, createLogger, forbidden, runWithContext } from '@chat/platform';
import { NATS_TEST_CREDENTIALS, startNatsServer, type RunningProcess } from '@chat/testkit';
import { headers } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

const logger = createLogger('nats-test', 'silent');
const echo: RequestDef<z.ZodObject<{ n: z.ZodNumber }>, z.ZodObject<{ n: z.ZodNumber; userId: z.ZodString }>> = {
  subject: 'test.echo',
  request: z.object({ n: z.number() }),
  reply: z.object({ n: z.number(), userId: z.string() }),
  retrySafe: () => false,
};
const silent = { subject: 'test.silent', request: z.object({}), reply: z.object({}), retrySafe: () => true };

describe('Bus', () => {
  let nats: RunningProcess;
  let server: Bus;
  let client: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    server = await Bus.connect({
      credentials: NATS_TEST_CREDENTIALS,
      url: nats.url,
      name: 'server',
      logger,
      timeoutMs: 500,
    });
    client = await Bus.connect({
      credentials: NATS_TEST_CREDENTIALS,
      url: nats.url,
      name: 'client',
      logger,
      timeoutMs: 500,
    });
    server.handle(echo, 'q', async (data, ctx) => {
      if (data.n < 0) throw forbidden('negative numbers are not allowed');
      if (data.n === 13) throw new Error('driver exploded: secret detail');
      return { n: data.n * 2, userId: ctx.userId ?? 'none' };
    });
    await server.nc.flush();
  });

  afterAll(async () => {
    await client.drain();
    await server.drain();
    await nats.stop();
  });

  it('carries the caller from the request context to the handler', async () => {
    const reply = await runWithContext({ requestId: 'r1', userId: 'u1' }, () => client.request(echo, { n: 2 }));
    expect(reply).toEqual({ n: 4, userId: 'u1' });
  });

  it('turns a payload that breaks the schema into a VALIDATION error, not a crash', async () => {
    await expect(client.request(echo, { n: 'two' } as never)).rejects.toMatchObject({
      code: 'VALIDATION',
      status: 400,
    });
  });

  it('rethrows the remote AppError with its code and message', async () => {
    await expect(client.request(echo, { n: -1 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'negative numbers are not allowed',
    });
  });

  it('hides an unexpected remote error behind INTERNAL with an error id', async () => {
    const err = (await client.request(echo, { n: 13 }).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('INTERNAL');
    expect(err.message).not.toContain('driver');
    expect(err.details).toMatchObject({ errorId: expect.any(String) });
  });

  it('carries the deadline to the handler, and a nested request keeps the outer one', async () => {
    const seen: (number | undefined)[] = [];
    const probe = { ...echo, subject: 'test.deadline' };
    const sub = server.handle(probe, 'q', async (data, ctx) => {
      seen.push(ctx.deadline);
      return { n: data.n, userId: 'x' };
    });
    await server.nc.flush();
    const before = Date.now();
    await client.request(probe, { n: 1 }, { timeoutMs: 400 });
    const outer = Date.now() + 100;
    await runWithContext({ requestId: 'r2', deadline: outer }, () =>
      client.request(probe, { n: 2 }, { timeoutMs: 5_000 }),
    );
    sub.unsubscribe();
    expect(seen[0]).toBeGreaterThanOrEqual(before + 400);
    expect(seen[0]).toBeLessThanOrEqual(Date.now() + 400);
    expect(seen[1]).toBeLessThanOrEqual(outer);
  });

  it('drops a request whose deadline has passed: the handler never runs', async () => {
    let ran = false;
    const late = { ...echo, subject: 'test.late' };
    const sub = server.handle(late, 'q', async (data) => {
      ran = true;
      return { n: data.n, userId: 'x' };
    });
    await server.nc.flush();
    // The caller refuses to send past its own deadline...
    const expired = runWithContext({ requestId: 'r3', deadline: Date.now() - 1 }, () => client.request(late, { n: 1 }));
    await expect(expired).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // ...and the responder drops a request that arrives past the deadline in its header.
    const h = headers();
    h.set('x-deadline', String(Date.now() - 1));
    await expect(
      client.nc.request(late.subject, JSON.stringify({ n: 1 }), { timeout: 300, headers: h }),
    ).rejects.toThrow();
    sub.unsubscribe();
    expect(ran).toBe(false);
  });

  it('creates streams with the configured age and size limits, and applies new limits to a stream that exists', async () => {
    const limited = async (maxAgeMs: number, maxBytes: number) => {
      const bus = await Bus.connect({
        credentials: NATS_TEST_CREDENTIALS,
        url: nats.url,
        name: 'limits',
        logger,
        timeoutMs: 500,
        streamLimits: { maxAgeMs, maxBytes },
      });
      await bus.ensureStreams([{ name: 'LIMITED', subjects: ['test.limited.>'] }]);
      const jsm = await jetstreamManager(bus.nc);
      const { config } = await jsm.streams.info('LIMITED');
      await bus.drain();
      return { maxAgeMs: config.max_age / 1_000_000, maxBytes: config.max_bytes };
    };
    expect(await limited(3_600_000, 1_000_000)).toEqual({ maxAgeMs: 3_600_000, maxBytes: 1_000_000 });
    expect(await limited(7_200_000, 2_000_000)).toEqual({ maxAgeMs: 7_200_000, maxBytes: 2_000_000 });
  });

  it('sends a request that is safe to repeat again when the first got no answer, and only such a request', async () => {
    const flaky = (subject: string, retrySafe: boolean) => ({
      subject,
      request: z.object({}),
      reply: z.object({ seen: z.number() }),
      retrySafe: () => retrySafe,
    });
    for (const [def, answered] of [
      [flaky('test.flaky.safe', true), true],
      [flaky('test.flaky.unsafe', false), false],
    ] as const) {
      let seen = 0;
      // The first request is lost, as with a NATS node that died holding it.
      const sub = server.nc.subscribe(def.subject, {
        callback: (_e, msg) => {
          if (++seen > 1) msg.respond(JSON.stringify({ ok: true, data: { seen } }));
        },
      });
      await server.nc.flush();
      const reply = client.request(def, {}, { timeoutMs: 2_000 });
      if (answered) await expect(reply).resolves.toEqual({ seen: 2 });
      else await expect(reply).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(seen).toBe(answered ? 2 : 1);
      sub.unsubscribe();
    }
  });

  it('turns a subject nobody serves into 503 UNAVAILABLE', async () => {
    await expect(client.request(silent, {})).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
  });

  it('runs events of different keys side by side and events of one key in stream order', async () => {
    await server.ensureStreams([{ name: 'ORDERED', subjects: ['test.ordered.>'] }]);
    const done: string[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    const consumer = await server.consume({
      stream: 'ORDERED',
      durable: 'ordered-consumer',
      filterSubjects: ['test.ordered.>'],
      schema: z.object({ eventId: z.string(), key: z.string() }),
      orderBy: (event) => event.key,
      concurrency: 4,
      handler: async (event) => {
        if (event.eventId === 'a1') await slow;
        done.push(event.eventId);
      },
    });
    for (const [eventId, key] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
      ['b2', 'b'],
    ])
      await client.publish(`test.ordered.${key}`, { eventId, key });
    // b's events pass a's slow one; a2 waits for a1.
    await expect.poll(() => done, { timeout: 10_000 }).toEqual(['b1', 'b2']);
    releaseSlow();
    await expect.poll(() => done, { timeout: 10_000 }).toEqual(['b1', 'b2', 'a1', 'a2']);
    await consumer.stop();
  });

  it('hands the events of one key that wait together to handleBatch in one call, in order, and retries them together', async () => {
    await server.ensureStreams([{ name: 'BATCHED', subjects: ['test.batched.>'] }]);
    const calls: string[][] = [];
    let releaseFirst!: () => void;
    const first = new Promise<void>((r) => (releaseFirst = r));
    let failOnce = true;
    const consumer = await server.consume({
      stream: 'BATCHED',
      durable: 'batched-consumer',
      filterSubjects: ['test.batched.>'],
      schema: z.object({ eventId: z.string(), key: z.string() }),
      orderBy: (event) => event.key,
      concurrency: 2,
      handler: async (event) => {
        calls.push([event.eventId]);
        if (event.eventId === 'k1') await first;
      },
      handleBatch: async (events) => {
        calls.push(events.map((e) => e.eventId));
        if (failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
      },
    });
    for (const eventId of ['k1', 'k2', 'k3', 'k4']) await client.publish('test.batched.k', { eventId, key: 'k' });
    await expect.poll(() => calls, { timeout: 10_000 }).toEqual([['k1']]);
    await new Promise((r) => setTimeout(r, 100)); // k2..k4 arrive and wait behind k1
    releaseFirst();
    // Together, failed once, then all again in order (redelivered one by one or together).
    await expect.poll(() => calls.slice(2).flat(), { timeout: 10_000 }).toEqual(['k2', 'k3', 'k4']);
    expect(calls.slice(0, 2)).toEqual([['k1'], ['k2', 'k3', 'k4']]);
    await consumer.stop();
  });

  it('lets the first event of a key wait lingerMs for others to join its batch', async () => {
    await server.ensureStreams([{ name: 'LINGER', subjects: ['test.linger.>'] }]);
    const calls: string[][] = [];
    const consumer = await server.consume({
      stream: 'LINGER',
      durable: 'linger-consumer',
      filterSubjects: ['test.linger.>'],
      schema: z.object({ eventId: z.string(), key: z.string() }),
      orderBy: (event) => event.key,
      concurrency: 2,
      lingerMs: 400,
      handler: async (event) => void calls.push([event.eventId]),
      handleBatch: async (events) => void calls.push(events.map((e) => e.eventId)),
    });
    await client.publish('test.linger.k', { eventId: 'l1', key: 'k' });
    await new Promise((r) => setTimeout(r, 50));
    await client.publish('test.linger.k', { eventId: 'l2', key: 'k' });
    await expect.poll(() => calls, { timeout: 10_000 }).toEqual([['l1', 'l2']]);
    await consumer.stop();
  });

  it('delivers JetStream events to a durable consumer once, and again after a failed attempt', async () => {
    await server.ensureStreams([{ name: 'TEST', subjects: ['test.events.>'] }]);
    await server.ensureStreams([{ name: 'TEST', subjects: ['test.events.>'] }]); // idempotent
    const seen: string[] = [];
    let failOnce = true;
    const consumer = await server.consume({
      stream: 'TEST',
      durable: 'test-consumer',
      filterSubjects: ['test.events.>'],
      schema: z.object({ eventId: z.string() }),
      handler: async (event) => {
        if (event.eventId === 'e2' && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        seen.push(event.eventId);
      },
    });
    await client.publish('test.events.a', { eventId: 'e1' });
    await client.publish('test.events.a', { eventId: 'e1' }); // de-duplicated by JetStream
    await client.publish('test.events.b', { eventId: 'e2' });
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(['e1', 'e2']);
    await consumer.stop();
  });
});
