import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ErrorCode } from '@chat/contracts';
import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';
import type { ServerEvents } from './types.js';

type Listeners = { [E in keyof ServerEvents]: (payload: ServerEvents[E]) => void };
type LooseEmits = Record<string, (...args: unknown[]) => void>;
export type ChatSocket = Socket<Listeners, LooseEmits>;

export interface ConnectionOptions {
  url: string;
  token: () => Promise<string>;
  /** A token that never changes cannot cure an UNAUTHORIZED refusal: do not retry then. */
  tokenRenews: boolean;
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

export interface ConnectionEvents {
  connect: undefined;
  disconnect: string;
  /** The server refused the handshake, or closed the session (token expired, abuse); retried unless fatal. */
  error: ChatError;
  [key: string]: unknown;
}

/** Backoff of the retries the SDK makes itself (socket.io retries transport losses on its own). */
const retryDelay = (attempt: number) => Math.min(10_000, 500 * 2 ** attempt);

/**
 * The socket: connects through the edge, reconnects after every kind of loss (socket.io only
 * retries transport losses; a refused handshake or a server-side disconnect is retried here),
 * and sends client events with acknowledgements that always settle.
 */
export class Connection extends Emitter<ConnectionEvents> {
  readonly socket: ChatSocket;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** False after `disconnect()` until `connect()`: no retries meanwhile. */
  private wanted = false;
  private readonly inflight = new Set<(err: ChatError) => void>();
  private readonly waiters = new Set<{ resolve: () => void; reject: (err: ChatError) => void }>();

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.socket = io(opts.url || undefined, {
      auth: (cb: (data: object) => void) => {
        opts.token().then(
          (token) => cb({ token }),
          () => cb({}),
        );
      },
      reconnectionDelay: 250,
      reconnectionDelayMax: 5_000,
      timeout: 10_000,
      ...opts.socketOptions,
      autoConnect: false,
      forceNew: true,
    }) as ChatSocket;
    this.socket.on('connect', () => {
      this.retries = 0;
      this.emit('connect', undefined);
      for (const w of [...this.waiters]) w.resolve();
      this.waiters.clear();
    });
    this.socket.on('disconnect', (reason) => {
      // What the SDK retries is what gets sent: no stale packet goes out after a reconnect.
      this.socket.sendBuffer.length = 0;
      const lost = new ChatError(`disconnected (${reason}) before the answer came`, 'UNAVAILABLE');
      for (const fail of [...this.inflight]) fail(lost);
      this.emit('disconnect', reason);
      // The server ended the session (token expiry, abuse cut, drain): socket.io will not come back by itself.
      if (reason === 'io server disconnect') this.retryLater();
    });
    this.socket.on('connect_error', (err: Error & { data?: { code?: ErrorCode } }) => {
      const code = err.data?.code ?? 'UNAVAILABLE';
      const error = new ChatError(err.message, code);
      if (this.socket.active) return; // a transport failure: socket.io retries it
      const fatal = code === 'UNAUTHORIZED' && !this.opts.tokenRenews;
      this.emit('error', error);
      if (!fatal) this.retryLater(code === 'RATE_LIMITED' ? 10_000 : undefined);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  connect(): void {
    if (this.closed) throw new ChatError('client closed', 'UNAVAILABLE');
    this.wanted = true;
    if (!this.socket.active) this.socket.connect();
  }

  /** Goes offline until `connect()`; requests wait for it. */
  disconnect(): void {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
  }

  close(): void {
    this.closed = true;
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
    const closed = new ChatError('client closed', 'UNAVAILABLE');
    for (const fail of [...this.inflight]) fail(closed);
    for (const w of [...this.waiters]) w.reject(closed);
    this.waiters.clear();
  }

  /** Resolves at the next `connect` (at once when connected); rejects when the client is closed. */
  whenConnected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    if (this.closed) return Promise.reject(new ChatError('client closed', 'UNAVAILABLE'));
    return new Promise((resolve, reject) => this.waiters.add({ resolve, reject }));
  }

  /**
   * Emits `event` on the current connection and resolves with its `{ ok: true }` acknowledgement.
   * Rejects with the server's error, or with `UNAVAILABLE` when not connected, when the
   * connection drops before the answer, or after `timeoutMs` without one.
   */
  request<T extends object>(event: string, payload: unknown, timeoutMs: number): Promise<T & { ok: true }> {
    if (!this.socket.connected) return Promise.reject(new ChatError(`not connected: ${event} not sent`, 'UNAVAILABLE', { event }));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.inflight.delete(fail);
      };
      const fail = (err: ChatError) => {
        done();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new ChatError(`no answer to ${event} within ${timeoutMs} ms`, 'UNAVAILABLE', { event })),
        timeoutMs,
      );
      this.inflight.add(fail);
      this.socket.emit(event, payload, (ack: { ok: boolean; message?: string; code?: ErrorCode }) => {
        if (!this.inflight.has(fail)) return; // already settled: timed out or disconnected
        done();
        if (ack?.ok) resolve(ack as T & { ok: true });
        else reject(new ChatError(ack?.message ?? `${event} failed`, ack?.code ?? 'INTERNAL', { event }));
      });
    });
  }

  /** Emits without waiting for an answer (typing); dropped when not connected. */
  fire(event: string, payload: unknown): void {
    if (this.socket.connected) this.socket.emit(event, payload);
  }

  private retryLater(delayMs = retryDelay(this.retries++)): void {
    if (!this.wanted) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.wanted && !this.socket.active) this.socket.connect();
    }, delayMs);
  }
}
