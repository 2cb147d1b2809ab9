import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer as OtelTracer,
} from '@opentelemetry/api';
import type { HeaderGetter, HeaderSetter, SpanKind, SpanOptions, TraceRef, Tracer } from '../tracing.js';

const KINDS: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
};

const setter: TextMapSetter<HeaderSetter> = { set: (set, name, value) => set(name, value) };
const getter: TextMapGetter<HeaderGetter> = { get: (get, name) => get(name), keys: () => [] };

// A TraceRef is an OpenTelemetry context that holds a span; only this file looks inside.
const refOf = (ctx: Context) => ctx as unknown as TraceRef;
const contextOf = (ref: TraceRef) => ref as unknown as Context;

const linkOf = (ref: TraceRef | undefined): Link[] => {
  const spanContext = ref && trace.getSpanContext(contextOf(ref));
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
};

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Marks a span failed by the error's code (an AppError's, else its class name), never by its
 * message, which may quote what a user sent. A client's mistake (4xx) is recorded, not an error.
 */
function failed(span: Span, err: unknown): void {
  const e = err as { code?: unknown; name?: unknown; status?: unknown } | null;
  const type = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
  span.setAttribute('error.type', type);
  if (!(typeof e?.status === 'number' && e.status < 500)) span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** The platform's tracer (tracing.ts) over an OpenTelemetry tracer, W3C propagation and the active context. */
export function otelTracer(tracer: OtelTracer, flush: () => Promise<void>): Tracer {
  return {
    span<T>(name: string, options: SpanOptions, fn: () => T): T {
      const parent =
        options.parent === 'root' ? ROOT_CONTEXT : options.parent ? contextOf(options.parent) : context.active();
      const span = tracer.startSpan(
        name,
        {
          kind: KINDS[options.kind ?? 'internal'],
          attributes: options.attributes,
          links: options.links?.flatMap(linkOf),
        },
        parent,
      );
      return context.with(trace.setSpan(parent, span), () => {
        let result: T;
        try {
          result = fn();
        } catch (err) {
          failed(span, err);
          span.end();
          throw err;
        }
        if (!isPromise(result)) {
          span.end();
          return result;
        }
        return result.then(
          (value) => {
            span.end();
            return value;
          },
          (err: unknown) => {
            failed(span, err);
            span.end();
            throw err;
          },
        ) as T;
      });
    },
    inject: (set) => propagation.inject(context.active(), set, setter),
    extract: (get) => {
      const ctx = propagation.extract(ROOT_CONTEXT, get, getter);
      const spanContext = trace.getSpanContext(ctx);
      return spanContext && isSpanContextValid(spanContext) ? refOf(ctx) : undefined;
    },
    current: () => {
      const ctx = context.active();
      return trace.getSpan(ctx) ? refOf(ctx) : undefined;
    },
    annotate: (attributes) => trace.getActiveSpan()?.setAttributes(attributes),
    logFields: () => {
      const spanContext = trace.getActiveSpan()?.spanContext();
      return spanContext && isSpanContextValid(spanContext)
        ? { trace_id: spanContext.traceId, span_id: spanContext.spanId }
        : undefined;
    },
    flush,
  };
}
