import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { TraceExporterName, TracingConfig } from '../config.js';
import { redactUrl, REDACTED } from '../logger.js';
import { installTracer } from '../tracing.js';
import { JsonLinesSpanExporter } from './jsonl-exporter.js';
import { otelTracer } from './otel-tracer.js';

/** Paths only the orchestrator and Prometheus ask for: no trace worth keeping. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

function samplerOf(config: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  switch (config.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
  }
}

/** The service a process runs, from its script (`services/<name>/dist/main.js`), when OTEL_SERVICE_NAME is unset. */
const serviceOfScript = (script = '') => /services[\\/]([^\\/]+)[\\/]dist[\\/]main\.js$/.exec(script)?.[1];

/** URL attributes keep their path (a stored file's name redacted) and lose their query: a search's words, a session id. */
const URL_ATTRIBUTES = ['http.url', 'http.target', 'url.full', 'url.path', 'url.query'];
/** Text a client chose: none of it is recorded. */
const CLIENT_TEXT_ATTRIBUTES = ['http.user_agent', 'user_agent.original'];
const redactedUrl = (url: string) => {
  const query = url.indexOf('?');
  return query < 0 ? redactUrl(url) : `${redactUrl(url.slice(0, query))}?${REDACTED}`;
};

/** Rewrites what the HTTP instrumentation records of a URL and a client before any exporter sees it. */
class UrlRedaction implements SpanProcessor {
  // The HTTP instrumentation records a request's URL and client when it starts the span.
  onStart(span: Span): void {
    for (const name of URL_ATTRIBUTES) {
      const value = span.attributes[name];
      if (typeof value !== 'string') continue;
      span.setAttribute(name, name === 'url.query' ? REDACTED : redactedUrl(value));
    }
    for (const name of CLIENT_TEXT_ATTRIBUTES)
      if (span.attributes[name] !== undefined) span.setAttribute(name, REDACTED);
  }
  onEnd(): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function exporterOf(name: TraceExporterName, config: TracingConfig, file: string): SpanExporter {
  if (name === 'jsonl') return new JsonLinesSpanExporter(config.TRACES_DIR, file);
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const url = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (endpoint && `${endpoint}/v1/traces`);
  // Headers (OTEL_EXPORTER_OTLP_HEADERS: a collector's credentials) and timeouts: the exporter reads them.
  return new OTLPTraceExporter(url ? { url } : {});
}

/**
 * Starts the OpenTelemetry SDK: the loader hook that lets the instrumentations patch ES modules
 * as they are imported (import-in-the-middle), the tracer provider with its sampler and
 * exporters, the instrumentations of HTTP, express, ioredis and the MongoDB driver, and the
 * platform's own tracer (tracing.ts). Resolves once the hook knows every module to patch.
 */
export async function startTracing(config: TracingConfig, exporters: TraceExporterName[]): Promise<void> {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const serviceName = config.OTEL_SERVICE_NAME ?? serviceOfScript(process.argv[1]) ?? 'unknown_service:node';
  const resource = detectResources({ detectors: [envDetector, processDetector] }).merge(
    resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
  );
  const instance = resource.attributes['service.instance.id'];
  const file = `${[serviceName, instance ?? process.pid].join('.')}.jsonl`.replace(/[^\w.-]/g, '_');
  const provider = new NodeTracerProvider({
    resource,
    sampler: samplerOf(config),
    spanProcessors: [
      new UrlRedaction(),
      ...exporters.map((name) => new BatchSpanProcessor(exporterOf(name, config, file))),
    ],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => PROBES.has((req.url ?? '').split('?')[0] ?? ''),
        requireParentforOutgoingSpans: true,
      }),
      // Routers and handlers, not every middleware (helmet, cors, the body parser...).
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // The command's name only: its keys and values may hold anything a client sent.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
      // Statements with every value replaced by `?` (the default), never a document.
      new MongoDBInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  installTracer(otelTracer(provider.getTracer('@chat/platform'), () => provider.forceFlush()));
  await waitForAllMessagesAcknowledged();
}
