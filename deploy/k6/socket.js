// Socket.IO load test through the edge, speaking Engine.IO v4 / Socket.IO v5 over
// /socket.io/?EIO=4&transport=websocket: auth with 40{"token"}, join_chat, send_message
// with acks, answering server pings. Each VU owns one accepted chat (made over REST once)
// and runs bounded sessions: connect, join, send MESSAGES messages, disconnect.
//   JWT_SECRET=... k6 run deploy/k6/socket.js
// Env: BASE_URL (http://127.0.0.1:8080), JWT_SECRET (required), VUS (10), DURATION (1m),
//      SESSIONS (per-VU cap, 20), MESSAGES (per session, 10), SEND_INTERVAL_MS (500),
//      ACK_TIMEOUT_MS (5000).
import http from 'k6/http';
import ws from 'k6/ws';
import { check, fail, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { BASE_URL, SOCKET_URL, idOf, json, newUser, objectId } from './lib/config.js';
import { SocketIoSession } from './lib/socketio.js';

const VUS = Number(__ENV.VUS || 10);
const DURATION = __ENV.DURATION || '1m';
const SESSIONS = Number(__ENV.SESSIONS || 20);
const MESSAGES = Number(__ENV.MESSAGES || 10);
const SEND_INTERVAL_MS = Number(__ENV.SEND_INTERVAL_MS || 500);
const ACK_TIMEOUT_MS = Number(__ENV.ACK_TIMEOUT_MS || 5000);

export const options = {
  scenarios: {
    sockets: {
      executor: 'per-vu-iterations',
      vus: VUS,
      iterations: SESSIONS,
      maxDuration: DURATION,
      gracefulStop: '15s',
    },
  },
  thresholds: {
    checks: ['rate>0.99'],
    socketio_connect_ok: ['rate>0.99'],
    socketio_connect_ms: ['p(95)<1000'],
    join_chat_ok: ['rate>0.99'],
    send_message_ok: ['rate>0.99'],
    send_message_ack_ms: ['p(95)<300', 'p(99)<1000'],
    socketio_errors: ['count<10'],
  },
};

const connectOk = new Rate('socketio_connect_ok');
const connectMs = new Trend('socketio_connect_ms', true);
const joinOk = new Rate('join_chat_ok');
const sendOk = new Rate('send_message_ok');
const ackMs = new Trend('send_message_ack_ms', true);
const received = new Counter('message_received');
const errors = new Counter('socketio_errors');

let me; // { user, chatId } per VU, made on its first iteration

/** Two fresh users and an auto_accepted chat between them, over REST. */
function makeChat() {
  const user = newUser();
  const peer = newUser();
  const a = http.post(`${BASE_URL}/api/chats/or-create`, JSON.stringify({ recipientId: peer.id }), {
    headers: user.headers,
    tags: { name: 'POST /api/chats/or-create' },
  });
  const b = http.post(`${BASE_URL}/api/chats/or-create`, JSON.stringify({ recipientId: user.id }), {
    headers: peer.headers,
    tags: { name: 'POST /api/chats/or-create' },
  });
  const chatId = idOf((json(a) || {}).data);
  const ok = check(null, {
    'setup chat: created': () => a.status === 201 && typeof chatId === 'string',
    'setup chat: accepted': () => b.status === 200 && (json(b) || {}).data && json(b).data.status === 'auto_accepted',
  });
  if (!ok) fail(`could not create a chat (or-create answered ${a.status} / ${b.status})`);
  return { user, chatId };
}

/**
 * One session on an open socket: returns at once; k6/ws keeps the VU in the socket's event
 * loop until the socket closes. Exported so the protocol can be driven outside k6 too.
 */
export function runSession(socket, ctx) {
  const started = Date.now();
  const settled = {}; // message number -> true once acked or timed out
  let sent = 0;
  let done = 0;
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    session.close();
  };

  const settle = (n, ok, ms) => {
    if (settled[n]) return; // a late ack after its timeout is ignored
    settled[n] = true;
    sendOk.add(ok);
    if (ok) ackMs.add(ms);
    else errors.add(1, { event: 'send_message' });
    done++;
    if (done >= MESSAGES) finish();
    else socket.setTimeout(sendNext, SEND_INTERVAL_MS);
  };

  const session = new SocketIoSession(
    socket,
    { token: ctx.user.token },
    {
      onConnect: () => {
        connectOk.add(true);
        connectMs.add(Date.now() - started);
        session.emit('join_chat', { chatId: ctx.chatId }, (res) => {
          const ok = Boolean(res && res.ok);
          joinOk.add(ok);
          if (!ok) {
            errors.add(1, { event: 'join_chat' });
            console.warn(`join_chat refused: ${JSON.stringify(res)}`);
            finish();
            return;
          }
          sendNext();
        });
      },
      onConnectError: (data) => {
        connectOk.add(false);
        errors.add(1, { event: 'connect' });
        console.warn(`connect_error: ${JSON.stringify(data)}`);
        finish();
      },
      onEvent: (name, payload) => {
        if (name === 'message_received' && payload && payload.chatId === ctx.chatId) received.add(1);
        else if (name === 'error') errors.add(1, { event: String(payload && payload.event) });
      },
      onDisconnect: () => finish(),
    },
  );

  function sendNext() {
    if (closed || sent >= MESSAGES) return;
    const n = sent++;
    const at = Date.now();
    const payload = { chatId: ctx.chatId, content: `load test message ${n}`, clientMessageId: `k6-${objectId()}` };
    session.emit('send_message', payload, (res) => settle(n, Boolean(res && res.ok && res.messageId), Date.now() - at));
    socket.setTimeout(() => settle(n, false, 0), ACK_TIMEOUT_MS);
  }

  socket.on('message', (frame) => session.handleFrame(frame));
  socket.on('error', (e) => {
    errors.add(1, { event: 'transport' });
    console.warn(`websocket error: ${e && typeof e.error === 'function' ? e.error() : e}`);
  });
  // Hard bound on a session (no connect, a lost join ack, ...): whatever happens, it ends.
  socket.setTimeout(
    () => {
      if (!session.connected && !closed) connectOk.add(false);
      finish();
    },
    2 * ACK_TIMEOUT_MS + MESSAGES * (SEND_INTERVAL_MS + ACK_TIMEOUT_MS),
  );
}

export default function () {
  if (!me) me = makeChat();
  const res = ws.connect(SOCKET_URL, { tags: { name: 'socket.io websocket' } }, (socket) => runSession(socket, me));
  check(res, { 'websocket: 101 Switching Protocols': (r) => r && r.status === 101 });
  sleep(Number(__ENV.THINK_TIME_S || 1));
}
