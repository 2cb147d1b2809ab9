// Socket.IO conversations through the edge: each VU owns one accepted chat between two
// users and, per iteration, opens one socket per user (each its own Engine.IO session, so
// the edge may put them on different gateway nodes), joins both to the chat, and sends
// MESSAGES messages in turns, A to B then B to A. Every message is timed from the emit to
// its ack on the sender's socket (send_ack_ms) and to its `message_received` on the other
// socket (send_receive_ms, tagged same_gateway / cross_gateway by the sessions' sid
// prefixes). POLLING_SHARE of the sockets use Engine.IO long polling instead of WebSocket.
//   JWT_SECRET=... k6 run deploy/k6/socket.js
// Env: see README.md (VUS, SESSIONS, MESSAGES, SEND_INTERVAL_MS, POLLING_SHARE, P95_*_MS, ...).
import { check } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import { env, envNum, failRate, objectId, okRate, p95, transportFor } from './lib/config.js';
import { makeChat } from './lib/chat.js';
import { ACK_TIMEOUT_MS, RECEIVE_TIMEOUT_MS, openPair, routeTags } from './lib/pair.js';
import { delay } from './lib/socketio.js';

const VUS = envNum('VUS', 10);
const SESSIONS = envNum('SESSIONS', 5);
const MESSAGES = envNum('MESSAGES', 20);
// Two users alternate, so each sends one message per 2 x SEND_INTERVAL_MS: far below the
// gateway's per-user budget (SOCKET_RATE_LIMIT_POINTS, 30 events per second).
const SEND_INTERVAL_MS = envNum('SEND_INTERVAL_MS', 250);

/** @type {Record<string, string[]>} */
const thresholds = {
  http_req_failed: failRate(),
  checks: okRate(),
  socketio_connect_ok: okRate(),
  join_chat_ok: okRate(),
  send_ok: okRate(),
  delivered: okRate(),
  socketio_connect_ms: p95('P95_CONNECT_MS', 1000),
  send_ack_ms: p95('P95_ACK_MS', 300),
  send_receive_ms: p95('P95_RECEIVE_MS', 500),
  // The same bounds where it matters most: across gateway nodes, and to / from a polling socket.
  'send_receive_ms{route:cross_gateway}': p95('P95_RECEIVE_MS', 500),
  'send_receive_ms{receiver:polling}': p95('P95_RECEIVE_MS', 500),
  'send_ack_ms{transport:polling}': p95('P95_ACK_MS', 300),
};
// Only when asked: behind a single gateway no delivery can cross nodes.
if (env('MIN_CROSS_GATEWAY', '') !== '') thresholds.cross_gateway = [`rate>=${envNum('MIN_CROSS_GATEWAY', 0)}`];

export const options = {
  scenarios: {
    conversations: {
      executor: 'per-vu-iterations',
      vus: VUS,
      iterations: SESSIONS,
      maxDuration: env('DURATION', '2m'),
      gracefulStop: '30s',
    },
  },
  thresholds,
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const sendOk = new Rate('send_ok');
const ackMs = new Trend('send_ack_ms', true);
const delivered = new Rate('delivered');
const receiveMs = new Trend('send_receive_ms', true);

/** @type {{ chatId: string, users: { id: string, token: string }[] } | undefined} */
let chat; // this VU's chat, made over REST on its first iteration

/** One message from `from` to `to`: ack on the sender's socket, `message_received` on the receiver's. */
async function exchange(chatId, from, to, n) {
  const clientMessageId = `k6-${__VU}-${__ITER}-${n}-${objectId().slice(0, 8)}`;
  const content = `k6 message ${n} from ${from.transport}@${from.node} to ${to.transport}@${to.node}`;
  const sentAt = Date.now();
  let ackedAt = 0;
  let receivedAt = 0;
  // The receiver listens before the send goes out, so a fast delivery cannot be missed.
  const received = to
    .expect('message_received', (m) => Boolean(m) && m.clientMessageId === clientMessageId, RECEIVE_TIMEOUT_MS)
    .then((m) => ((receivedAt = Date.now()), m));
  const acked = from
    .emit('send_message', { chatId, content, clientMessageId }, ACK_TIMEOUT_MS)
    .then((r) => ((ackedAt = Date.now()), r));
  const [ack, msg] = await Promise.all([acked, received]);

  const ok = ack.ok === true && typeof ack.messageId === 'string';
  sendOk.add(ok, { transport: from.transport });
  if (ok) ackMs.add(ackedAt - sentAt, { transport: from.transport });
  else console.warn(`send_message failed (${from.transport}@${from.node}): ${JSON.stringify(ack)}`);

  const tags = Object.assign(routeTags(from, to), { receiver: to.transport });
  delivered.add(Boolean(msg), tags);
  if (msg) {
    receiveMs.add(receivedAt - sentAt, tags);
    check(msg, {
      'message_received: the acked message': (m) => !ok || m.messageId === ack.messageId,
      'message_received: sender, chat and text intact': (m) =>
        m.senderId === from.user.id && m.receiverId === to.user.id && m.chatId === chatId && m.content === content,
    });
  } else {
    console.warn(
      `message_received missing after ${RECEIVE_TIMEOUT_MS} ms (${from.transport}@${from.node} -> ${to.transport}@${to.node})`,
    );
  }
}

export default async function () {
  if (!chat) chat = makeChat();
  // Sockets 2(VU-1) and 2(VU-1)+1 of the run: POLLING_SHARE of all of them poll.
  const pair = await openPair(chat, [transportFor(2 * (__VU - 1)), transportFor(2 * (__VU - 1) + 1)]);
  if (!pair) return;
  const { a, b } = pair;
  for (let n = 0; n < MESSAGES; n++) {
    const started = Date.now();
    const [from, to] = n % 2 === 0 ? [a, b] : [b, a];
    await exchange(chat.chatId, from, to, n);
    // A lost socket fails the rest of the session's messages at once (counted, not skipped).
    if (!a.closed && !b.closed) await delay(SEND_INTERVAL_MS - (Date.now() - started));
  }
  await Promise.all([a.close(), b.close()]);
}
