import { io, type Socket } from 'socket.io-client';

/** Connects a real socket.io-client and resolves once connected (rejects on connect_error). */
export function connectSocket(url: string, token: string | undefined, opts: { transports?: ('websocket' | 'polling')[] } = {}): Promise<Socket> {
  const socket = io(url, {
    auth: token === undefined ? {} : { token },
    transports: opts.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** The next `event` on `socket`, or a rejection after `timeoutMs`. */
export function nextEvent<T = any>(socket: Socket, event: string, timeoutMs = 5_000, filter: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!filter(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** Resolves true if `event` does NOT arrive within `ms` (for "must not receive" assertions). */
export function noEvent(socket: Socket, event: string, ms = 500): Promise<boolean> {
  return nextEvent(socket, event, ms).then(
    () => false,
    () => true,
  );
}

/** Emits with an acknowledgement and resolves with the ack payload. */
export function emitAck<T = any>(socket: Socket, event: string, payload: unknown, timeoutMs = 5_000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}
