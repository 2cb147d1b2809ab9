// A minimal Socket.IO v5 client (Engine.IO v4, WebSocket transport, text packets only) on
// top of a k6/ws socket. Frames:
//   server  0{"sid",...,"pingInterval"}   Engine.IO open   -> we send 40{"token":...}
//   server  40{"sid":...}                 Socket.IO CONNECT accepted
//   server  44{"message":...}             CONNECT_ERROR (bad token)
//   server  2                             Engine.IO ping   -> we answer 3 (pong)
//   both    42[name,payload]              event; 42<id>[...] asks for an ack, 43<id>[...] is one
//   both    41 / 1                        Socket.IO disconnect / Engine.IO close

/** Encodes an event packet for the default namespace, with an ack id when given. */
export function encodeEvent(name, payload, ackId) {
  return `42${ackId === undefined ? '' : ackId}${JSON.stringify([name, payload])}`;
}

/**
 * Decodes one Engine.IO text frame. Returns { eio } for transport packets, or
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

/**
 * Drives one Socket.IO session over `socket` (k6/ws socket or anything with send/close/on).
 * handlers: onConnect(sid), onConnectError(data), onEvent(name, payload), onDisconnect(reason)
 */
export class SocketIoSession {
  constructor(socket, auth, handlers) {
    this.socket = socket;
    this.auth = auth;
    this.handlers = handlers;
    this.connected = false;
    this.nextAck = 1;
    this.pendingAcks = {};
  }

  call(name, a, b) {
    const fn = this.handlers[name];
    if (typeof fn === 'function') fn(a, b);
  }

  /** Feed every text frame received on the socket to this. */
  handleFrame(frame) {
    const p = decodeFrame(String(frame));
    switch (p.eio) {
      case '0': // Engine.IO open: connect to the default namespace with the auth payload
        this.socket.send(`40${JSON.stringify(this.auth)}`);
        return;
      case '2': // ping from the server: answer pong, or the server drops us after pingTimeout
        this.socket.send('3');
        return;
      case '1':
        this.connected = false;
        this.call('onDisconnect', 'transport close');
        return;
      case '4':
        break;
      default:
        return; // 3 (pong), 6 (noop)
    }
    if (p.nsp !== '/') return;
    if (p.sio === '0') {
      this.connected = true;
      this.call('onConnect', p.data && p.data.sid);
    } else if (p.sio === '4') {
      this.call('onConnectError', p.data);
    } else if (p.sio === '1') {
      this.connected = false;
      this.call('onDisconnect', 'server disconnect');
    } else if (p.sio === '2' && Array.isArray(p.data)) {
      this.call('onEvent', p.data[0], p.data[1]);
    } else if (p.sio === '3' && p.ackId !== undefined) {
      const cb = this.pendingAcks[p.ackId];
      delete this.pendingAcks[p.ackId];
      if (cb) cb(Array.isArray(p.data) ? p.data[0] : p.data);
    }
  }

  /** Emits an event; `ack(response)` is called when the server acknowledges it. */
  emit(name, payload, ack) {
    let id;
    if (ack) {
      id = this.nextAck++;
      this.pendingAcks[id] = ack;
    }
    this.socket.send(encodeEvent(name, payload, id));
    return id;
  }

  /** Number of emits still waiting for their acknowledgement. */
  pending() {
    return Object.keys(this.pendingAcks).length;
  }

  /** Polite close: Socket.IO disconnect, then the WebSocket close. */
  close() {
    if (this.connected) this.socket.send('41');
    this.connected = false;
    this.socket.close();
  }
}
