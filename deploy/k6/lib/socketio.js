// A minimal Socket.IO v5 client (Engine.IO v4, text packets only) for k6, over either
// transport through the edge:
//   websocket  k6/websockets, one Engine.IO packet per frame
//   polling    http.asyncRequest: GET /socket.io/?EIO=4&transport=polling opens a session,
//              then one long-polling GET at a time (&sid=) receives packets and one POST at a
//              time sends them, several packets joined by \x1e. The edge routes every request
//              with a sid to the gateway node named by the sid's prefix (`gw1.xxxx`).
// Packets:
//   server  0{"sid",...,"pingInterval"}   Engine.IO open   -> we send 40{"token":...}
//   server  40{"sid":...}                 Socket.IO CONNECT accepted
//   server  44{"message":...}             CONNECT_ERROR (bad token, too many sockets, ...)
//   server  2                             Engine.IO ping   -> we answer 3 (pong)
//   both    42[name,payload]              event; 42<id>[...] asks for an ack, 43<id>[...] is one
//   both    41 / 1                        Socket.IO disconnect / Engine.IO close; 6 is a noop
import http from 'k6/http';
import { WebSocket } from 'k6/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';
import { SOCKET_POLLING_URL, SOCKET_WS_URL } from './config.js';

const RECORD_SEPARATOR = '\x1e';

/** Encodes an event packet for the default namespace, with an ack id when given. */
export function encodeEvent(name, payload, ackId) {
  return `42${ackId === undefined ? '' : ackId}${JSON.stringify([name, payload])}`;
}

/** Splits a long-polling body into its Engine.IO packets (v4: separated by \x1e). */
export function decodePayload(body) {
  return body === '' ? [] : body.split(RECORD_SEPARATOR);
}

/** Joins packets into one long-polling POST body. */
export function encodePayload(packets) {
  return packets.join(RECORD_SEPARATOR);
}

/**
 * Decodes one Engine.IO text packet. Returns { eio, data } for transport packets, or
 * { eio: '4', sio, nsp, ackId, data } for Socket.IO packets.
 */
export function decodeFrame(frame) {
  const eio = frame[0];
  if (eio !== '4') return { eio, data: frame.length > 1 ? safeJson(frame.slice(1)) : undefined };
  const sio = frame[1];
  let i = 2;
  let nsp = '/';
  if (frame[i] === '/') {
    const comma = frame.indexOf(',', i);
    nsp = comma === -1 ? frame.slice(i) : frame.slice(i, comma);
    i = comma === -1 ? frame.length : comma + 1;
  }
  let digits = '';
  while (i < frame.length && frame[i] >= '0' && frame[i] <= '9') digits += frame[i++];
  const rest = frame.slice(i);
  return { eio, sio, nsp, ackId: digits === '' ? undefined : Number(digits), data: rest ? safeJson(rest) : undefined };
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return undefined;
  }
}

/** The gateway node that holds a session: the prefix of its Engine.IO sid (`gw1.xxxx` -> gw1). */
export const nodeOf = (sid) => (typeof sid === 'string' && sid.includes('.') ? sid.slice(0, sid.indexOf('.')) : '?');

const nonce = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** WebSocket transport: k6/websockets (a global event loop, so one VU can hold several). */
class WsTransport {
  constructor(tags) {
    this.tags = tags;
    this.ws = undefined;
  }

  open(h) {
    const ws = new WebSocket(SOCKET_WS_URL, null, { tags: this.tags });
    this.ws = ws;
    ws.onmessage = (e) => {
      if (e && typeof e.data === 'string') h.packet(e.data);
    };
    ws.onerror = (e) => h.error(`websocket error: ${e && e.error}`);
    ws.onclose = () => h.close('websocket closed');
  }

  send(packet) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(packet);
  }

  close() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
  }
}

/**
 * Long-polling transport over http.asyncRequest. Engine.IO refuses a second GET or POST of
 * a session while one is pending ("overlap"), so sends are queued and flushed one POST at a
 * time, and the poll loop keeps exactly one GET open.
 */
class PollingTransport {
  constructor(tags) {
    this.tags = tags;
    this.sid = undefined;
    this.queue = [];
    this.posting = false;
    this.active = false;
    this.closing = false;
    this.polling = false;
    this.h = undefined;
  }

  url() {
    return `${SOCKET_POLLING_URL}&sid=${encodeURIComponent(this.sid)}&t=${nonce()}`;
  }

  params(name) {
    return { tags: Object.assign({}, this.tags, { name }), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } };
  }

  open(h) {
    this.h = h;
    this.active = true;
    this.handshake();
  }

  async handshake() {
    const res = await http.asyncRequest(
      'GET',
      `${SOCKET_POLLING_URL}&t=${nonce()}`,
      null,
      this.params('socket.io polling open'),
    );
    if (!this.active) return;
    const packets = res.status === 200 ? decodePayload(String(res.body)) : [];
    const open = packets.length > 0 && packets[0][0] === '0' ? safeJson(packets[0].slice(1)) : undefined;
    if (!open || typeof open.sid !== 'string')
      return this.fail(`polling open answered ${res.status} ${String(res.body).slice(0, 120)}`);
    this.sid = open.sid; // before the packets are handled: the answer to the open packet is a POST
    for (const p of packets) this.h.packet(p);
    this.polling = true;
    this.poll();
  }

  async poll() {
    while (this.active && !this.closing) {
      const res = await http.asyncRequest('GET', this.url(), null, this.params('socket.io polling GET'));
      if (!this.active) return;
      if (res.status !== 200) return this.fail(`polling GET answered ${res.status} ${String(res.body).slice(0, 120)}`);
      for (const p of decodePayload(String(res.body))) {
        if (p === '1') return this.end('server closed the session');
        this.h.packet(p);
      }
    }
    // Closing: the server answered the last GET (a noop) when it took our close packet.
    this.polling = false;
    this.endIfDrained();
  }

  send(packet) {
    if (!this.active) return;
    this.queue.push(packet);
    this.flush();
  }

  async flush() {
    if (this.posting || this.queue.length === 0 || this.sid === undefined) return;
    this.posting = true;
    const body = encodePayload(this.queue.splice(0, this.queue.length));
    const res = await http.asyncRequest('POST', this.url(), body, this.params('socket.io polling POST'));
    this.posting = false;
    if (!this.active) return;
    if (res.status !== 200) return this.fail(`polling POST answered ${res.status} ${String(res.body).slice(0, 120)}`);
    this.flush();
    this.endIfDrained();
  }

  /** A closing session ends once its close packet is posted and its last GET has returned. */
  endIfDrained() {
    if (this.closing && !this.polling && !this.posting && this.queue.length === 0) this.end('closed');
  }

  close() {
    if (!this.active || this.closing) return;
    if (this.sid === undefined) return this.end('closed before the handshake'); // nothing to tell the server
    this.send('1'); // Engine.IO close: the server then answers the pending GET, ending the loop
    this.closing = true;
    this.endIfDrained();
  }

  fail(why) {
    if (!this.active) return;
    this.h.error(why);
    this.end(why);
  }

  end(why) {
    if (!this.active) return;
    this.active = false;
    this.h.close(why);
  }
}

/**
 * One Socket.IO client of `user` ({ id, token }) over `transport` ('websocket' | 'polling').
 * Every wait is bounded by a timer that is cleared once settled, so a k6 iteration (which
 * lasts until its event loop is empty) ends as soon as the client is closed.
 */
export class SocketClient {
  constructor(user, transport, tags) {
    this.user = user;
    this.transport = transport;
    this.sid = undefined;
    this.node = '?';
    this.connected = false;
    this.closed = false;
    this.closeReason = undefined;
    this.connectMs = undefined;
    this.nextAck = 1;
    this.acks = {};
    this.waiters = [];
    this.listeners = {};
    this.onClosed = [];
    this.settleConnect = undefined;
    const allTags = Object.assign({ transport }, tags || {});
    this.t = transport === 'polling' ? new PollingTransport(allTags) : new WsTransport(allTags);
  }

  /** Opens the session; resolves true once Socket.IO CONNECT is accepted, false otherwise (see `closeReason`). */
  connect(timeoutMs) {
    return new Promise((resolve) => {
      const started = Date.now();
      const timer = setTimeout(
        () => this.settleConnect && this.settleConnect(false, `no CONNECT within ${timeoutMs} ms`),
        timeoutMs,
      );
      this.settleConnect = (ok, why) => {
        this.settleConnect = undefined;
        clearTimeout(timer);
        this.connectMs = Date.now() - started;
        if (!ok) this.shutdown(why);
        resolve(ok);
      };
      this.t.open({
        packet: (p) => this.onPacket(p),
        error: (why) => this.emitLocal('transport_error', why),
        close: (why) => this.shutdown(why),
      });
    });
  }

  /** Listens to a server event (`error`, `message_received`, ...). */
  on(event, fn) {
    (this.listeners[event] = this.listeners[event] || []).push(fn);
  }

  /**
   * Resolves with the first payload of `event` for which `match(payload)` holds, or with
   * undefined after `timeoutMs` or when the socket closes. Register before the cause is sent.
   */
  expect(event, match, timeoutMs) {
    return new Promise((resolve) => {
      if (this.closed) return resolve(undefined);
      const waiter = { event, match, resolve, timer: 0 };
      waiter.timer = setTimeout(() => this.settleWaiter(waiter, undefined), timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Emits a client event with an acknowledgement; resolves with the ack payload or { ok: false, code }. */
  emit(name, payload, timeoutMs) {
    return new Promise((resolve) => {
      if (!this.connected)
        return resolve({ ok: false, code: 'DISCONNECTED', message: this.closeReason || 'not connected' });
      const id = this.nextAck++;
      const timer = setTimeout(() => {
        delete this.acks[id];
        resolve({ ok: false, code: 'TIMEOUT', message: `no ack within ${timeoutMs} ms` });
      }, timeoutMs);
      this.acks[id] = (res) => {
        clearTimeout(timer);
        resolve(res && typeof res === 'object' ? res : { ok: false, code: 'BAD_ACK', message: JSON.stringify(res) });
      };
      this.t.send(encodeEvent(name, payload, id));
    });
  }

  /** Polite close (Socket.IO disconnect, then the transport's); resolves once the transport is gone. */
  close() {
    return new Promise((resolve) => {
      if (this.closed) return resolve(undefined);
      const timer = setTimeout(() => this.shutdown('close timed out'), 5000);
      this.onClosed.push(() => {
        clearTimeout(timer);
        resolve(undefined);
      });
      if (this.connected) this.t.send('41');
      this.connected = false;
      this.t.close();
    });
  }

  onPacket(frame) {
    const p = decodeFrame(frame);
    switch (p.eio) {
      case '0': // Engine.IO open: connect to the default namespace with the token
        this.sid = p.data && p.data.sid;
        this.node = nodeOf(this.sid);
        this.t.send(`40${JSON.stringify({ token: this.user.token })}`);
        return;
      case '2': // ping: answer, or the server drops us after pingTimeout
        this.t.send('3');
        return;
      case '1':
        this.shutdown('server closed the session');
        return;
      case '4':
        break;
      default:
        return; // 3 (pong), 6 (noop)
    }
    if (p.nsp !== '/') return;
    if (p.sio === '0') {
      this.connected = true;
      if (this.settleConnect) this.settleConnect(true);
    } else if (p.sio === '4') {
      if (this.settleConnect) this.settleConnect(false, `connect_error ${JSON.stringify(p.data)}`);
    } else if (p.sio === '1') {
      this.connected = false;
      this.shutdown('server disconnect');
      this.t.close();
    } else if (p.sio === '2' && Array.isArray(p.data)) {
      this.emitLocal(p.data[0], p.data[1]);
    } else if (p.sio === '3' && p.ackId !== undefined) {
      const cb = this.acks[p.ackId];
      delete this.acks[p.ackId];
      if (cb) cb(Array.isArray(p.data) ? p.data[0] : p.data);
    }
  }

  emitLocal(event, payload) {
    for (const fn of this.listeners[event] || []) fn(payload);
    for (const w of this.waiters.slice()) {
      if (w.event === event && w.match(payload)) this.settleWaiter(w, payload);
    }
  }

  settleWaiter(w, value) {
    const i = this.waiters.indexOf(w);
    if (i === -1) return;
    this.waiters.splice(i, 1);
    clearTimeout(w.timer);
    w.resolve(value);
  }

  /** The session is over: every pending wait ends now, and the transport is released. */
  shutdown(why) {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    this.closeReason = why;
    if (this.settleConnect) this.settleConnect(false, why);
    for (const id of Object.keys(this.acks)) {
      const cb = this.acks[id];
      delete this.acks[id];
      cb({ ok: false, code: 'DISCONNECTED', message: why });
    }
    for (const w of this.waiters.slice()) this.settleWaiter(w, undefined);
    this.t.close();
    for (const fn of this.onClosed.splice(0)) fn();
  }
}

/** Resolves after `ms` (k6/timers), for pacing inside async iterations. */
export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
