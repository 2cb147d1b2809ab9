import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Msg } from '@nats-io/transport-node';
import type { RequestDef } from '@chat/contracts';
import {
  Bus,
  createLogger,
  flushTraces,
  groupCommit,
  inSpan,
  parseConfig,
  traceExporters,
  tracingConfigSchema,
  tracingOn,
  unavailable,
  forbidden,
} from '@chat/platform';
import { NATS_TEST_CREDENTIALS, startNatsServer, type RunningProcess } from '@chat/testkit';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const echo: RequestDef<z.ZodObject<{ n: z.ZodNumber }>, z.ZodObject<{ n: z.ZodNumber }>> = {
  subject: 'test.traced',
  request: z.object({ n: z.number() }),
  reply: z.object({ n: z.number() }),
  retrySafe: () => false,
};

/** Pino lines written to memory. */
function logLines() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('tracing-test', 'info', destination) };
}

interface Line {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  service: string;
  status: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

describe('tracing configuration', () => {
  const exporters = (env: Record<string, string>) => traceExporters(parseConfig(tracingConfigSchema, env));

  it('is off unless an exporter is named or an OTLP endpoint is set', () => {
    expect(exporters({})).toEqual([]);
    expect(exporters({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })).toEqual([]);
    expect(exporters({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual(['otlp']);
    expect(exporters({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toEqual(['otlp']);
    expect(exporters({ OTEL_TRACES_EXPORTER: 'jsonl' })).toEqual(['jsonl']);
    expect(exporters({ OTEL_TRACES_EXPORTER: 'otlp,jsonl' })).toEqual(['otlp', 'jsonl']);
    expect(exporters({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual(
      [],
    );
    expect(exporters({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toEqual([]);
  });

  it('names the variable that is wrong', () => {
    expect(() => parseConfig(tracingConfigSchema, { OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => parseConfig(tracingConfigSchema, { OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => parseConfig(tracingConfigSchema, { OTEL_TRACES_SAMPLER_ARG: '10' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG/,
    );
    expect(() => parseConfig(tracingConfigSchema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });

  it('loads no OpenTelemetry module unless tracing starts: only tracing/ imports it, and start-tracing only on demand', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const importsOtel = (file: string) =>
      /from '(@opentelemetry\/|import-in-the-middle)/.test(readFileSync(file, 'utf8'));
    const outside = files(SRC).filter((f) => !f.includes('/tracing/') && importsOtel(f));
    expect(outside).toEqual([]);
    const start = readFileSync(join(SRC, 'tracing/start-tracing.ts'), 'utf8');
    expect(importsOtel(join(SRC, 'tracing/start-tracing.ts'))).toBe(false);
    expect(start).not.toMatch(/^import .*otel-sdk/m);
    expect(start).toMatch(/await import\('\.\/otel-sdk\.js'\)/);
  });
});

describe('tracing', () => {
  let nats: RunningProcess;
  let bus: Bus;
  let dir: string;
  const { lines, logger } = logLines();
  const spans = async (): Promise<Line[]> => {
    await flushTraces();
    return readdirSync(dir).flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line),
    );
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await Bus.connect({
      credentials: NATS_TEST_CREDENTIALS,
      url: nats.url,
      name: 'traced',
      logger,
      timeoutMs: 2_000,
    });
  });
  afterAll(async () => {
    await bus?.drain();
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('off (the default): spans are plain calls, NATS messages carry no trace header, log lines no trace ids', async () => {
    expect(tracingOn()).toBe(false);
    expect(inSpan('nothing', {}, () => 42)).toBe(42);
    const seen = new Promise<Msg>((resolve) => {
      const sub = bus.nc.subscribe('test.notice.off', { callback: (_err, msg) => (sub.unsubscribe(), resolve(msg)) });
    });
    await bus.nc.flush();
    bus.notify('test.notice.off', { n: 1 });
    expect((await seen).headers).toBeUndefined();
    inSpan('quiet', {}, () => logger.info('inside'));
    expect(lines.at(-1)).not.toHaveProperty('trace_id');
  });

  describe('on (start-tracing, spans to JSON lines)', () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'traces-'));
      Object.assign(process.env, { OTEL_TRACES_EXPORTER: 'jsonl', TRACES_DIR: dir, OTEL_SERVICE_NAME: 'tracing-test' });
      await import('@chat/platform/start-tracing');
    });

    it('a request handler runs in a child of the caller span, and its log lines carry that span', async () => {
      expect(tracingOn()).toBe(true);
      const sub = bus.handle(echo, 'q', async (data) => {
        logger.info('handling');
        return { n: data.n };
      });
      await bus.nc.flush();
      await inSpan('caller', {}, () => bus.request(echo, { n: 1 }));
      sub.unsubscribe();
      const all = await spans();
      const caller = all.find((s) => s.name === 'caller') as Line;
      const request = all.find((s) => s.name === 'request test.traced') as Line;
      const handled = all.find((s) => s.name === 'handle test.traced') as Line;
      expect(request).toMatchObject({ traceId: caller.traceId, parentSpanId: caller.spanId, kind: 'client' });
      expect(handled).toMatchObject({ traceId: caller.traceId, parentSpanId: request.spanId, kind: 'server' });
      expect(handled.service).toBe('tracing-test');
      expect(lines.find((l) => l.msg === 'handling')).toMatchObject({
        trace_id: handled.traceId,
        span_id: handled.spanId,
      });
    });

    it('a failed span is marked by the error code, never its message', async () => {
      await expect(inSpan('refused', {}, async () => Promise.reject(forbidden('secret words')))).rejects.toThrow();
      expect(() =>
        inSpan('broken', {}, () => {
          throw unavailable('more secret words');
        }),
      ).toThrow();
      const all = await spans();
      expect(all.find((s) => s.name === 'refused')).toMatchObject({
        status: 'ok',
        attributes: { 'error.type': 'FORBIDDEN' },
      });
      expect(all.find((s) => s.name === 'broken')).toMatchObject({
        status: 'error',
        attributes: { 'error.type': 'UNAVAILABLE' },
      });
      expect(JSON.stringify(all)).not.toContain('secret');
    });

    it('a core publish carries the publisher span in traceparent', async () => {
      const seen = new Promise<Msg>((resolve) => {
        const sub = bus.nc.subscribe('test.notice.on', { callback: (_err, msg) => (sub.unsubscribe(), resolve(msg)) });
      });
      await bus.nc.flush();
      inSpan('notifier', {}, () => bus.notify('test.notice.on', { n: 1 }));
      const traceparent = (await seen).headers?.get('traceparent');
      const notifier = (await spans()).find((s) => s.name === 'notifier') as Line;
      expect(traceparent).toBe(`00-${notifier.traceId}-${notifier.spanId}-01`);
    });

    it('a JetStream consumer handles a batch in a trace of its own, linked to the publish of each event', async () => {
      await bus.ensureStreams([{ name: 'TRACED', subjects: ['test.traced.events.>'] }]);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const batches: string[][] = [];
      const consumer = await bus.consume({
        stream: 'TRACED',
        durable: 'traced-consumer',
        filterSubjects: ['test.traced.events.>'],
        schema: z.object({ eventId: z.string(), key: z.string() }),
        orderBy: (e) => e.key,
        concurrency: 2,
        handler: async (e) => {
          batches.push([e.eventId]);
          if (e.eventId === 'e1') await held;
        },
        handleBatch: async (events) => void batches.push(events.map((e) => e.eventId)),
      });
      for (const eventId of ['e1', 'e2', 'e3']) await bus.publish('test.traced.events.k', { eventId, key: 'k' });
      await expect.poll(() => batches, { timeout: 10_000 }).toEqual([['e1']]);
      await new Promise((r) => setTimeout(r, 100));
      release();
      await expect.poll(() => batches.flat(), { timeout: 10_000 }).toEqual(['e1', 'e2', 'e3']);
      await consumer.stop();
      const all = await spans();
      const publishes = all.filter((s) => s.name === 'publish test.traced.events.k');
      expect(publishes).toHaveLength(3);
      const processed = all.filter((s) => s.name === 'process traced-consumer');
      const batch = processed.find((s) => s.links.length === 2) as Line;
      expect(batch.kind).toBe('consumer');
      expect(batch.parentSpanId).toBeUndefined();
      expect(publishes.map((p) => p.traceId)).not.toContain(batch.traceId);
      expect(batch.links).toEqual(
        expect.arrayContaining(publishes.slice(1).map((p) => ({ traceId: p.traceId, spanId: p.spanId }))),
      );
    });

    it('a group commit writes a batch in its first submitter trace, linked to the others', async () => {
      let unblock!: () => void;
      const first = new Promise<void>((r) => (unblock = r));
      const commits = groupCommit<number, number>({
        flush: async (items) => {
          if (items[0] === 1) await first;
          return items;
        },
        maxBatch: 10,
        maxQueued: 10,
        concurrency: 1,
      });
      const one = inSpan('submit 1', {}, () => commits.submit(1));
      const two = inSpan('submit 2', {}, () => commits.submit(2));
      const three = inSpan('submit 3', {}, () => commits.submit(3));
      unblock();
      expect(await Promise.all([one, two, three])).toEqual([1, 2, 3]);
      const all = await spans();
      const submit = (n: number) => all.find((s) => s.name === `submit ${n}`) as Line;
      const batches = all.filter((s) => s.name === 'write batch');
      const second = batches.find((s) => s.attributes['batch.size'] === 2) as Line;
      expect(second).toMatchObject({ traceId: submit(2).traceId, parentSpanId: submit(2).spanId });
      expect(second.links).toEqual([{ traceId: submit(3).traceId, spanId: submit(3).spanId }]);
    });
  });
});
