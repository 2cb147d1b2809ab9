// The two sockets of a conversation: one per participant, each its own Engine.IO session
// through the edge (which spreads new sessions over the gateway nodes), both in the chat room.
import { Counter, Rate, Trend } from 'k6/metrics';
import { envNum } from './config.js';
import { SocketClient } from './socketio.js';

export const CONNECT_TIMEOUT_MS = envNum('CONNECT_TIMEOUT_MS', 10000);
export const ACK_TIMEOUT_MS = envNum('ACK_TIMEOUT_MS', 5000);
export const RECEIVE_TIMEOUT_MS = envNum('RECEIVE_TIMEOUT_MS', 5000);

export const connectOk = new Rate('socketio_connect_ok');
export const connectMs = new Trend('socketio_connect_ms', true);
export const joinOk = new Rate('join_chat_ok');
/** Sender and receiver of a conversation on different gateway nodes (by their sid prefixes). */
export const crossGateway = new Rate('cross_gateway');
/** `error` events from the server and transport failures, by code. */
export const socketErrors = new Counter('socketio_errors');

/** Opens a socket for `user` and records its connect outcome; resolves with the client, or undefined. */
export async function openSocket(user, transport) {
  const client = new SocketClient(user, transport);
  client.on('error', (e) => {
    socketErrors.add(1, { code: String(e && e.code), event: String(e && e.event), transport });
    console.warn(`socket error (${transport}, ${client.node}): ${JSON.stringify(e)}`);
  });
  client.on('transport_error', (why) => {
    socketErrors.add(1, { code: 'TRANSPORT', event: 'transport', transport });
    console.warn(`socket transport error (${transport}, ${client.node}): ${why}`);
  });
  const ok = await client.connect(CONNECT_TIMEOUT_MS);
  connectOk.add(ok, { transport });
  if (ok) connectMs.add(/** @type {number} */ (client.connectMs), { transport });
  else console.warn(`socket.io connect failed (${transport}): ${client.closeReason}`);
  return ok ? client : undefined;
}

/**
 * Both participants of `chat` ({ chatId, users: [a, b] }) connected over `transports`
 * ([ta, tb]) and joined to the chat; undefined (sockets closed) when any step fails.
 */
export async function openPair(chat, transports) {
  const [a, b] = await Promise.all([
    openSocket(chat.users[0], transports[0]),
    openSocket(chat.users[1], transports[1]),
  ]);
  if (!a || !b) {
    await Promise.all([a && a.close(), b && b.close()]);
    return undefined;
  }
  crossGateway.add(a.node !== b.node);
  const joins = await Promise.all(
    [a, b].map(async (c) => {
      const res = await c.emit('join_chat', { chatId: chat.chatId }, ACK_TIMEOUT_MS);
      joinOk.add(res.ok === true, { transport: c.transport });
      if (!res.ok) console.warn(`join_chat refused (${c.transport}): ${JSON.stringify(res)}`);
      return res.ok === true;
    }),
  );
  if (!joins[0] || !joins[1]) {
    await Promise.all([a.close(), b.close()]);
    return undefined;
  }
  return { a, b };
}

/** Tags for a delivery from `from` to `to`: the transports and whether it crossed gateway nodes. */
export function routeTags(from, to) {
  return {
    route: from.node === to.node ? 'same_gateway' : 'cross_gateway',
    path: `${from.transport}->${to.transport}`,
  };
}
