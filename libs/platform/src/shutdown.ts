import type { Logger } from 'pino';
import { flushTraces } from './tracing.js';

/**
 * On SIGTERM or SIGINT, runs `stop` (stop taking work, finish in-flight work, drain NATS,
 * close links), exports the spans still buffered, and exits; a stop that overruns `timeoutMs`
 * exits anyway with code 1.
 */
export function onShutdown(logger: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown deadline passed, exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    const exit = (code: number) =>
      void flushTraces()
        .catch((err: unknown) => logger.warn({ err }, 'spans not exported'))
        .finally(() => process.exit(code));
    stop().then(
      () => {
        logger.info('stopped');
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}

/** Last resort for a bug: log it whole, then exit so the orchestrator restarts a clean process. */
export function exitOnFatal(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });
}
