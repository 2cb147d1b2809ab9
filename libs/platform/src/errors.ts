import { randomUUID } from 'node:crypto';
import { httpStatusOf, type ErrorBody, type ErrorCode, type SocketErrorCode, type SocketErrorPayload } from '@chat/contracts';
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

/**
 * Turns anything thrown into an AppError. Unexpected errors are logged whole with an error id
 * and come back as INTERNAL carrying only that id: no stack trace or driver message leaks.
 */
export function toAppError(err: unknown, logger?: Logger): AppError {
  if (err instanceof AppError) return err;
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
export const toWireError = (err: AppError): WireError => ({ code: err.code, message: err.message, details: err.details });
export const fromWireError = (wire: WireError): AppError => new AppError(wire.code, wire.message, wire.details);
