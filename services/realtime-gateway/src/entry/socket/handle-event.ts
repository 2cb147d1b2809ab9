import { clientEvents, type AckPayload, type ClientEventName, type ClientPayload } from '@chat/contracts';
import { parseInput, runWithContext, toAppError, toSocketError, newRequestId, type Logger } from '@chat/platform';
import type { EventRateLimiter, GarbageMeter } from './guards.js';
import { emitLoose, type GatewaySocket, type SuccessOf } from '../../clients/sockets.js';

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

/** Socket.IO passes the ack as the last argument; a payload-less emit puts it first. Non-functions are not acks. */
function splitArgs(args: unknown[]): { payload: unknown; ack?: Ack } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as Ack) : undefined;
  const payload = args.length > 0 && typeof args[0] !== 'function' ? args[0] : undefined;
  return ack ? { payload, ack } : { payload };
}

/**
 * The one wrapper for every client event: rate limit -> validate with the contract schema ->
 * handler -> success event + ack, or `error` { message, code, event } + ack. Never throws.
 */
export function onClientEvent<E extends ClientEventName>(
  socket: GatewaySocket,
  event: E,
  guards: EventGuards,
  handler: (input: ClientPayload<E>) => Promise<SuccessOf<E>>,
): void {
  const def = clientEvents[event];
  const listener = (...args: unknown[]) => {
    const { payload, ack } = splitArgs(args);
    const ctx = { requestId: newRequestId(), userId: socket.data.userId };
    void runWithContext(ctx, async () => {
      try {
        await guards.limiter.consume(socket.data.userId);
        const input = parseInput(def.schema, payload, event) as ClientPayload<E>;
        const result = await handler(input);
        if (def.success) emitLoose(socket, def.success, result);
        ack?.({ ok: true, ...result });
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
  };
  socket.on(event, listener as never);
}
