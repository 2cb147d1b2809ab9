import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** One span as a line of the `jsonl` exporter's file. */
export interface SpanLine {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  service: string;
  instance?: string;
  /** ISO time the span started. */
  start: string;
  durationMs: number;
  status: 'ok' | 'error';
  attributes: ReadableSpan['attributes'];
  links: { traceId: string; spanId: string }[];
}

export function spanLine(span: ReadableSpan): SpanLine {
  const resource = span.resource.attributes;
  const instance = resource['service.instance.id'];
  const parent = span.parentSpanContext?.spanId;
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    ...(parent && { parentSpanId: parent }),
    name: span.name,
    kind: SpanKind[span.kind].toLowerCase(),
    service: String(resource['service.name']),
    ...(instance !== undefined && { instance: String(instance) }),
    start: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
    durationMs: Math.round(hrTimeToMilliseconds(span.duration) * 1000) / 1000,
    status: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok',
    attributes: span.attributes,
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
  };
}

/**
 * Writes every span as one JSON object per line to `<dir>/<file>` (appended): `npm start`'s
 * traces without a collector, to read with `jq` or to load into a tool of one's own.
 */
export class JsonLinesSpanExporter implements SpanExporter {
  private out: WriteStream | undefined;

  constructor(
    private readonly dir: string,
    private readonly file: string,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      if (!this.out) {
        mkdirSync(this.dir, { recursive: true });
        this.out = createWriteStream(path.join(this.dir, this.file), { flags: 'a' });
      }
      const lines = spans.map((s) => `${JSON.stringify(spanLine(s))}\n`).join('');
      this.out.write(lines, (err) =>
        done(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS }),
      );
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  async shutdown(): Promise<void> {
    const out = this.out;
    this.out = undefined;
    if (out) await new Promise<void>((resolve) => out.end(resolve));
  }

  async forceFlush(): Promise<void> {}
}
