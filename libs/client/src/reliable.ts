import { clientEvents } from '@chat/contracts';
import type { Connection } from './connection.js';
import { ChatError } from './errors.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** 200 ms, 400 ms, ... up to 5 s, with jitter so many clients do not retry in step. */
export const backoff = (attempt: number) => Math.min(5_000, 200 * 2 ** attempt) * (0.75 + Math.random() / 2);

type Schema = { safeParse(p: unknown): { success: boolean; error?: { message: string } } };

/**
 * Checks a client event's payload against the contract's schema before it is sent: the server
 * disconnects a socket that sends many invalid events, so a bad one is refused here.
 */
export function checkPayload(event: string, payload: unknown): ChatError | undefined {
  const schema = (clientEvents as unknown as Record<string, { schema: Schema } | undefined>)[event]?.schema;
  const checked = schema?.safeParse(payload);
  return checked && !checked.success ? new ChatError(`invalid ${event}: ${checked.error?.message}`, 'VALIDATION', { event }) : undefined;
}

export interface ReliableOptions {
  ackTimeoutMs: number;
  /** Attempts before giving up; sends use Infinity (they are safe to repeat while the client lives). */
  maxAttempts: number;
  /** Called before each attempt after the first. */
  onRetry?: (attempt: number, error: ChatError) => void;
}

/**
 * Emits a client event until it is answered. A missing answer, a dropped connection,
 * `UNAVAILABLE`, `INTERNAL` and `RATE_LIMITED` are retried with the same payload after the
 * next connect and a back-off; any other refusal is final. Only for events that are safe to
 * repeat (sends carry a `clientMessageId`; reads, receipts and reactions are idempotent).
 */
export async function requestReliably<T extends object>(
  conn: Connection,
  event: string,
  payload: unknown,
  opts: ReliableOptions,
): Promise<T & { ok: true }> {
  const invalid = checkPayload(event, payload);
  if (invalid) throw invalid;
  for (let attempt = 0; ; attempt++) {
    await conn.whenConnected();
    try {
      return await conn.request<T>(event, payload, opts.ackTimeoutMs);
    } catch (err) {
      const error = err instanceof ChatError ? err : new ChatError(String(err), 'INTERNAL', { event });
      if (!error.retryable || attempt + 1 >= opts.maxAttempts) throw error;
      opts.onRetry?.(attempt + 1, error);
      // After a lost connection, the next connect is the wait; otherwise back off.
      if (conn.connected) await sleep(error.code === 'RATE_LIMITED' ? Math.max(1_000, backoff(attempt)) : backoff(attempt));
    }
  }
}
