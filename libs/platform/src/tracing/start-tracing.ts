/**
 * `node --import @chat/platform/start-tracing services/<name>/dist/main.js`: starts tracing
 * before the service's modules load, when the configuration asks for it (OTEL_* variables:
 * config.ts `tracingConfigSchema`). Otherwise it loads nothing more than the configuration's
 * schema, and the service runs untraced at no cost. It must run before the service: ES modules
 * can only be instrumented by a loader hook registered before they are imported.
 */
import { isMainThread } from 'node:worker_threads';
import { loadConfig, traceExporters, tracingConfigSchema } from '../config.js';

const config = loadConfig(tracingConfigSchema);
const exporters = traceExporters(config);
if (isMainThread && exporters.length > 0) {
  const { startTracing } = await import('./otel-sdk.js');
  await startTracing(config, exporters);
}
