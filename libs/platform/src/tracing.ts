/**
 * Spans for the platform's own hops (NATS requests and events, socket events, use cases), and
 * the trace ids of log lines. Without tracing (the default) every function here is one check
 * of `tracer` and nothing more: no OpenTelemetry module is loaded at all. `node --import
 * @chat/platform/start-tracing` loads the SDK when the configuration asks for it
 * (tracing/start-tracing.ts), and it installs the tracer these functions use.
 */

/** What a span does: the roles of OpenTelemetry's span kinds. */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/**
 * A span's attributes: ids, names, counts. Never message content, a token or other text a user
 * wrote (a chat id is `chat.id`, a message id `message.id`).
 */
export type SpanAttributes = Record<string, string | number | boolean>;

declare const traceRef: unique symbol;
/** A span to continue or to link to: the current one, or one a message's headers name. Opaque. */
export interface TraceRef {
  readonly [traceRef]: true;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: SpanAttributes;
  /** The parent: the current span by default, the span `TraceRef` names, or `'root'` for a new trace. */
  parent?: TraceRef | 'root';
  /** Spans this one follows from without being their child (the events of a batch). */
  links?: readonly (TraceRef | undefined)[];
}

/** Reads a header of a message (undefined when absent). */
export type HeaderGetter = (name: string) => string | undefined;
/** Sets a header of a message. */
export type HeaderSetter = (name: string, value: string) => void;

/** What the SDK installs (tracing/otel-tracer.ts). */
export interface Tracer {
  span<T>(name: string, options: SpanOptions, fn: () => T): T;
  inject(set: HeaderSetter): void;
  extract(get: HeaderGetter): TraceRef | undefined;
  current(): TraceRef | undefined;
  annotate(attributes: SpanAttributes): void;
  logFields(): { trace_id: string; span_id: string } | undefined;
  flush(): Promise<void>;
}

let tracer: Tracer | undefined;

/** Installs the tracer every function below uses (start-tracing does, once, before the service loads). */
export function installTracer(installed: Tracer): void {
  tracer = installed;
}

/** Whether this process traces. */
export const tracingOn = (): boolean => tracer !== undefined;

/**
 * Runs `fn` in a new span that ends when `fn` returns or its promise settles; a throw or a
 * rejection marks it failed with the error's code (never its message). Without tracing, `fn()`.
 * @example await inSpan('send_message', { attributes: { 'chat.id': chatId } }, () => sendMessage(deps, command));
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: () => T): T {
  return tracer ? tracer.span(name, options, fn) : fn();
}

/** Writes the current span into outgoing headers (W3C `traceparent`, `tracestate`). */
export function injectTrace(set: HeaderSetter): void {
  tracer?.inject(set);
}

/** The span incoming headers name (W3C `traceparent`), if they name one. */
export function extractTrace(get: HeaderGetter): TraceRef | undefined {
  return tracer?.extract(get);
}

/** The current span, to link to or continue from later (a batch that runs in another task). */
export function currentTrace(): TraceRef | undefined {
  return tracer?.current();
}

/** Adds attributes to the current span (what is known only once the work is done: an id). */
export function annotateSpan(attributes: SpanAttributes): void {
  tracer?.annotate(attributes);
}

/** `trace_id` and `span_id` of the current span, for log lines; undefined outside a span or without tracing. */
export function traceLogFields(): { trace_id: string; span_id: string } | undefined {
  return tracer?.logFields();
}

/** Exports the spans still buffered (before the process exits). */
export async function flushTraces(): Promise<void> {
  await tracer?.flush();
}
