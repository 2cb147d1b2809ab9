import { randomUUID } from 'node:crypto';
import {
  httpStatusOf,
  type ErrorBody,
  type ErrorCode,
  type SocketErrorCode,
  type SocketErrorPayload,
} from '@chat/contracts';
import type { Logger } from 'pino';

/** The one error type: an expected failure with an HTTP status, a code and a message safe to show. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = httpStatusOf[code];
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError('VALIDATION', message, details);
export const unauthorized = (message = 'Authentication required') => new AppError('UNAUTHORIZED', message);
export const forbidden = (message = 'Not allowed') => new AppError('FORBIDDEN', message);
export const notFound = (message = 'Not found') => new AppError('NOT_FOUND', message);
export const conflict = (message: string) => new AppError('CONFLICT', message);
export const unavailable = (message = 'A dependency is unavailable, try again') => new AppError('UNAVAILABLE', message);

const OUTAGE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MaxRetriesPerRequestError', // ioredis, while Redis is down
]);

/** Node's codes for a connection that failed or was cut (a socket error the driver passes on as is). */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A store that is down or unreachable: the client may retry, so UNAVAILABLE (503), not a 500.
 * The driver wraps a network error of a bulk write in a MongoBulkWriteError (`errorResponse`),
 * sometimes the socket's own error ("This socket has been ended by the other party", EPIPE).
 */
function isOutage(err: unknown, depth = 0): boolean {
  const e = err as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errorResponse?: unknown;
  } | null;
  if (!e || typeof e !== 'object' || depth > 3) return false;
  if (typeof e.name === 'string' && OUTAGE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && e.message.includes('buffering timed out')) return true; // mongoose
  return isOutage(e.cause, depth + 1) || isOutage(e.errorResponse, depth + 1);
}

/**
 * Turns anything thrown into an AppError. A store outage becomes UNAVAILABLE. Unexpected
 * errors are logged whole with an error id and come back as INTERNAL carrying only that id:
 * no stack trace or driver message leaks.
 */
export function toAppError(err: unknown, logger?: Logger): AppError {
  if (err instanceof AppError) return err;
  if (isOutage(err)) {
    logger?.warn({ err: (err as Error).message }, 'store unavailable');
    return unavailable('A store is unavailable, try again');
  }
  const errorId = randomUUID();
  logger?.error({ err, errorId }, 'unexpected error');
  return new AppError('INTERNAL', 'Internal error', { errorId });
}

export function toHttpBody(err: AppError): ErrorBody {
  return err.details === undefined
    ? { status: err.status, message: err.message }
    : { status: err.status, message: err.message, error: err.details };
}

const socketCodeOf: Partial<Record<ErrorCode, SocketErrorCode>> = {
  PAYLOAD_TOO_LARGE: 'VALIDATION',
  UNSUPPORTED_MEDIA_TYPE: 'VALIDATION',
  NOT_IMPLEMENTED: 'UNAVAILABLE',
};

export function toSocketError(err: AppError, event?: string): SocketErrorPayload {
  const code = (socketCodeOf[err.code] ?? err.code) as SocketErrorCode;
  return event === undefined ? { message: err.message, code } : { message: err.message, code, event };
}

/** The wire form of an error in a NATS reply, and back. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}
export const toWireError = (err: AppError): WireError => ({
  code: err.code,
  message: err.message,
  details: err.details,
});
export const fromWireError = (wire: WireError): AppError => new AppError(wire.code, wire.message, wire.details);
