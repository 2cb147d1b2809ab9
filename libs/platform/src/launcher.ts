import { z } from 'zod';
import { loadConfig, traceExporters, tracingConfigSchema, type BaseConfig } from './config.js';
import { bindHostVar, setDefaultBindHost } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { exitOnFatal, onShutdown } from './shutdown.js';
import { tracingOn } from './tracing.js';

/** The settings every launched service has (the edge has no database or bus settings). */
type LaunchSettings = Pick<BaseConfig, 'LOG_LEVEL' | 'SHUTDOWN_TIMEOUT_MS'>;

/**
 * BIND_HOST: where a launched service's port listens. Every interface by default (a container's
 * port is reached through its pod network); `npm start` keeps the internal services to 127.0.0.1.
 */
export const listenSettingsSchema = z.object({ BIND_HOST: bindHostVar('0.0.0.0') });

/** A started service: where it listens and how it stops. */
export interface RunningService {
  port: number;
  close(): Promise<void>;
  /** Names this process in its "listening" line when the service runs as several (a gateway node). */
  instance?: string;
}

/**
 * The whole of a service's `main.ts`: reads and checks its configuration from the environment
 * (exits 1 with the reasons when it is wrong), listens on BIND_HOST, logs as `name`, turns an uncaught error into a
 * logged exit, starts the service and stops it on SIGTERM / SIGINT within SHUTDOWN_TIMEOUT_MS.
 */
export async function launchService<S extends z.ZodType<LaunchSettings>>(
  name: string,
  schema: S,
  start: (config: z.output<S>, logger: Logger) => Promise<RunningService>,
): Promise<void> {
  const config = loadConfig(schema);
  setDefaultBindHost(loadConfig(listenSettingsSchema).BIND_HOST);
  const logger = createLogger(name, config.LOG_LEVEL);
  exitOnFatal(logger);
  if (!tracingOn() && traceExporters(loadConfig(tracingConfigSchema)).length > 0)
    logger.warn(
      'OTEL_* variables ask for traces, but no span is recorded: start the service with `node --import @chat/platform/start-tracing`',
    );
  const service = await start(config, logger);
  const label = service.instance ? `${name} ${service.instance}` : name;
  logger.info(
    { port: service.port, instance: service.instance },
    `${label} listening on http://127.0.0.1:${service.port}`,
  );
  onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => service.close());
}
