import type { ErrorCode } from '@chat/contracts';

const codeOfStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
};

/**
 * The one error the SDK throws: a refused REST call (`status` set), a refused socket event
 * (`event` set), or a local refusal before anything was sent (`code: 'VALIDATION'`).
 * `code` is the API's error code; a lost connection or a missing answer is `UNAVAILABLE`.
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly extra: {
      status?: number;
      event?: string;
      /** The body's `error`: field list for 400, `{ retryAfterSeconds }` for 429, `{ errorId }` for 500. */
      details?: unknown;
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
  }

  get status(): number | undefined {
    return this.extra.status;
  }

  /** True when the same request may succeed later (the API's advice: UNAVAILABLE, INTERNAL, RATE_LIMITED). */
  get retryable(): boolean {
    return this.code === 'UNAVAILABLE' || this.code === 'INTERNAL' || this.code === 'RATE_LIMITED';
  }

  static fromHttp(status: number, body: unknown, retryAfter: string | null): ChatError {
    const b = (body ?? {}) as { message?: unknown; error?: unknown };
    const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`;
    const code = codeOfStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION');
    const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    return new ChatError(message, code, { status, details: b.error, retryAfterSeconds: seconds });
  }
}
