import { isObjectId, type AckPayload, type ClientEventName } from '@chat/contracts';
import {
  annotateSpan,
  extractTrace,
  inSpan,
  newRequestId,
  runWithContext,
  toAppError,
  toSocketError,
  tracingOn,
  type Logger,
  type SpanAttributes,
  type SpanOptions,
} from '@chat/platform';
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

/** The ids a client event names (`chat.id`, `message.id`), checked to be ids: nothing else a client sent. */
function idsOf(payload: unknown): SpanAttributes {
  const ids: SpanAttributes = {};
  const { chatId, messageId } = (payload ?? {}) as { chatId?: unknown; messageId?: unknown };
  if (typeof chatId === 'string' && isObjectId(chatId)) ids['chat.id'] = chatId;
  if (typeof messageId === 'string' && isObjectId(messageId)) ids['message.id'] = messageId;
  return ids;
}

/**
 * A client event's span: a trace of its own, linked to the span of the request that opened the
 * socket (the edge's proxied upgrade, whose `traceparent` the handshake carried).
 */
function spanOf(socket: GatewaySocket, event: ClientEventName, payload: unknown): SpanOptions {
  const headers = socket.request.headers;
  const opened = extractTrace((name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  });
  return {
    kind: 'server',
    parent: 'root',
    links: [opened],
    attributes: { 'socket.io.event': event, ...idsOf(payload) },
  };
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
    const span = tracingOn() ? spanOf(socket, event, payload) : {};
    void runWithContext(ctx, () =>
      inSpan(event, span, async () => {
        try {
          await guards.limiter.consume(socket.data.userId);
          const answer = await handle(payload);
          if (tracingOn()) annotateSpan(idsOf(answer));
          ack?.({ ok: true, ...answer });
          guards.count(event, 'ok');
        } catch (err) {
          const appError = toAppError(err, guards.logger);
          if (tracingOn()) annotateSpan({ 'error.type': appError.code });
          const error = toSocketError(appError, event);
          socket.emit('error', error);
          ack?.({ ok: false, ...error });
          guards.count(event, error.code);
          if (appError.code === 'VALIDATION' && guards.garbage.strike()) guards.onGarbageLimit();
          if (appError.code === 'RATE_LIMITED' && guards.flood.strike()) guards.onGarbageLimit();
        }
      }),
    );
  });
}
