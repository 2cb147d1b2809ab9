import { pino, type Logger } from 'pino';
import { currentContext } from './context.js';

export type { Logger };

/** JSON logs with the service name, and the request id and user of the current request when there is one. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const ctx = currentContext();
      return ctx ? { requestId: ctx.requestId, userId: ctx.userId } : {};
    },
    redact: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
  });
}
