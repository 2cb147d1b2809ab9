import type { AckPayload, ClientEventName } from '@chat/contracts';
import { runWithContext, toAppError, toSocketError, newRequestId, type Logger } from '@chat/platform';
import type { EventRateLimiter } from './event-rate-limiter.js';
import type { GarbageMeter } from './garbage-meter.js';
import type { GatewaySocket } from '../../clients/gateway-socket.js';

type Ack = (response: AckPayload<object>) => void;

export interface EventGuards {
  limiter: EventRateLimiter;
  garbage: GarbageMeter;
  /** Events refused as RATE_LIMITED: a socket that keeps sending past its budget is cut too. */
  flood: GarbageMeter;
  logger: Logger;
  /** Called when the socket has sent too much garbage, or kept flooding past its rate limit. */
  onGarbageLimit: () => void;
  /** Counts each handled event by outcome (`ok` or the error code), for /metrics. */
  count: (event: string, outcome: string) => void;
}

/** Socket.IO appends its acknowledgement callback as the last argument; what a client sends holds no functions. */
const isAck = (arg: unknown): arg is Ack => typeof arg === 'function';

/** A payload-less emit puts the ack first; a function is never a payload. */
function splitArgs(args: unknown[]): { payload: unknown; ack?: Ack } {
  const last = args[args.length - 1];
  const payload = args.length > 0 && !isAck(args[0]) ? args[0] : undefined;
  return isAck(last) ? { payload, ack: last } : { payload };
}

/**
 * The one wrapper for every client event: rate limit -> `handle` (which decodes the payload,
 * runs the use case and emits the success event) -> ack { ok: true, ...answer }, or
 * `error` { message, code, event } + ack. Never throws.
 */
export function onClientEvent(
  socket: GatewaySocket,
  event: ClientEventName,
  guards: EventGuards,
  handle: (payload: unknown) => Promise<object>,
): void {
  socket.on(event, (...args: unknown[]) => {
    const { payload, ack } = splitArgs(args);
    const ctx = { requestId: newRequestId(), userId: socket.data.userId };
    void runWithContext(ctx, async () => {
      try {
        await guards.limiter.consume(socket.data.userId);
        const answer = await handle(payload);
        ack?.({ ok: true, ...answer });
        guards.count(event, 'ok');
      } catch (err) {
        const appError = toAppError(err, guards.logger);
        const error = toSocketError(appError, event);
        socket.emit('error', error);
        ack?.({ ok: false, ...error });
        guards.count(event, error.code);
        if (appError.code === 'VALIDATION' && guards.garbage.strike()) guards.onGarbageLimit();
        if (appError.code === 'RATE_LIMITED' && guards.flood.strike()) guards.onGarbageLimit();
      }
    });
  });
}
