import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What follows one request across HTTP, sockets and NATS: its id and the caller. */
export interface RequestContext {
  requestId: string;
  userId?: string;
  /** When the caller stops waiting (epoch ms): work still queued past it is dropped. */
  deadline?: number;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const currentContext = (): RequestContext | undefined => storage.getStore();

export const runWithContext = <T>(ctx: RequestContext, fn: () => T): T => storage.run(ctx, fn);

export const newRequestId = (): string => randomUUID();

/** Accepts a client's request id only when it is short and plain, else makes one. */
export const requestIdFrom = (value: unknown): string =>
  typeof value === 'string' && /^[\w.:-]{1,100}$/.test(value) ? value : newRequestId();

/** Whether the current request's caller has already given up waiting. */
export const pastDeadline = (ctx: RequestContext | undefined = currentContext(), now = Date.now()): boolean =>
  ctx?.deadline !== undefined && now >= ctx.deadline;
