// The part of k6's JavaScript API that deploy/k6 uses, for one VU in a worker thread.
// Synchronous http.* calls block the thread (Atomics.wait) while the main thread performs
// the request, as a k6 VU blocks; everything asynchronous (timers, http.asyncRequest,
// k6/websockets) runs on the thread's event loop and is counted, so an iteration lasts until
// it all settled, as k6's event loop does.
import { receiveMessageOnPort } from 'node:worker_threads';
import nodeCrypto from 'node:crypto';
import WS from 'ws';
import { encodeBody, parseDuration, perform } from './fetch.mjs';

const S = {
  post: null,
  syncPort: null,
  flag: null,
  scenario: '',
  group: '',
  vu: 0,
  iter: 0,
  pending: 0,
  idleWaiters: [],
};

/** Wires the shim to its thread (vu.mjs). */
export function init({ post, syncPort, flag, scenario, vu }) {
  Object.assign(S, { post, syncPort, flag, scenario, vu });
  for (const [name, kind, isTime] of BUILTIN) defineMetric(name, kind, isTime);
}
/** k6's own metrics that this shim emits. */
const BUILTIN = [
  ['http_reqs', 'counter'],
  ['http_req_duration', 'trend', true],
  ['http_req_failed', 'rate'],
  ['checks', 'rate'],
  ['iterations', 'counter'],
  ['iteration_duration', 'trend', true],
  ['ws_sessions', 'counter'],
  ['ws_connecting', 'trend', true],
];
export function setIteration(iter) {
  S.iter = iter;
  globalThis.__ITER = iter;
}

function track(delta) {
  S.pending += delta;
  if (S.pending === 0) for (const w of S.idleWaiters.splice(0)) w();
}
/** Resolves once no timer, socket or async request of this VU is pending. */
export function idle() {
  return S.pending === 0 ? Promise.resolve() : new Promise((r) => S.idleWaiters.push(r));
}

function ctxTags(extra) {
  const tags = { scenario: S.scenario };
  if (S.group) tags.group = S.group;
  for (const [k, v] of Object.entries(extra || {})) tags[k] = String(v);
  return tags;
}
export function sample(name, value, tags) {
  S.post({
    type: 'sample',
    name,
    value: typeof value === 'boolean' ? (value ? 1 : 0) : Number(value),
    tags: ctxTags(tags),
  });
}
export function defineMetric(name, kind, isTime) {
  S.post({ type: 'metric', name, kind, isTime: Boolean(isTime) });
}
// ---------------------------------------------------------------- k6
export const k6 = {
  check(value, sets, tags) {
    let all = true;
    for (const [name, fn] of Object.entries(sets)) {
      const ok = Boolean(typeof fn === 'function' ? fn(value) : fn);
      sample('checks', ok, Object.assign({}, tags, { check: name }));
      all = all && ok;
    }
    return all;
  },
  fail(msg) {
    throw new Error(msg);
  },
  group(name, fn) {
    const parent = S.group;
    S.group = `${parent}::${name}`;
    try {
      return fn();
    } finally {
      S.group = parent;
    }
  },
  sleep(seconds) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(seconds) * 1000);
  },
  randomSeed() {},
};

// ---------------------------------------------------------------- k6/http
function prepare(method, url, body, params) {
  const p = params || {};
  const headers = Object.assign({}, p.headers || {});
  return {
    req: {
      method,
      url: String(url),
      headers,
      body: encodeBody(body, headers),
      timeoutMs: parseDuration(p.timeout, 60_000),
      responseType: p.responseType || 'text',
    },
    tags: p.tags || {},
  };
}

function response(req, tags, r) {
  const expected = r.status >= 200 && r.status < 400;
  const t = Object.assign(
    { name: req.url, method: req.method, status: String(r.status), expected_response: String(expected) },
    tags,
  );
  sample('http_reqs', 1, t);
  sample('http_req_duration', r.duration, t);
  sample('http_req_failed', !expected, t);
  return {
    status: r.status,
    status_text: r.statusText,
    body: r.body,
    headers: r.headers,
    url: r.url,
    error: r.error,
    error_code: r.errorCode,
    timings: { duration: r.duration },
    request: { method: req.method, url: req.url, headers: req.headers },
    json(selector) {
      if (selector !== undefined) throw new Error('node-runner: json(selector) is not shimmed');
      return JSON.parse(String(r.body));
    },
  };
}

function request(method, url, body, params) {
  const { req, tags } = prepare(method, url, body, params);
  Atomics.store(S.flag, 0, 0);
  S.syncPort.postMessage(req);
  Atomics.wait(S.flag, 0, 0);
  const msg = receiveMessageOnPort(S.syncPort);
  if (!msg) throw new Error('node-runner: no answer to a synchronous request');
  return response(req, tags, msg.message);
}

async function asyncRequest(method, url, body, params) {
  const { req, tags } = prepare(method, url, body, params);
  track(1);
  try {
    return response(req, tags, await perform(req));
  } finally {
    track(-1);
  }
}

export const http = {
  request,
  asyncRequest,
  get: (url, params) => request('GET', url, null, params),
  head: (url, params) => request('HEAD', url, null, params),
  del: (url, body, params) => request('DELETE', url, body, params),
  options: (url, body, params) => request('OPTIONS', url, body, params),
  post: (url, body, params) => request('POST', url, body, params),
  put: (url, body, params) => request('PUT', url, body, params),
  patch: (url, body, params) => request('PATCH', url, body, params),
  file: (data, filename, contentType) => ({
    __k6File: true,
    data,
    filename: filename || 'file',
    content_type: contentType || 'application/octet-stream',
  }),
};

// ---------------------------------------------------------------- k6/metrics
class Metric {
  constructor(name, kind, isTime) {
    this.name = name;
    defineMetric(name, kind, isTime);
  }
  add(value, tags) {
    sample(this.name, value, tags);
  }
}
export const metrics = {
  Counter: class extends Metric {
    constructor(name) {
      super(name, 'counter', false);
    }
  },
  Gauge: class extends Metric {
    constructor(name, isTime) {
      super(name, 'gauge', isTime);
    }
  },
  Rate: class extends Metric {
    constructor(name) {
      super(name, 'rate', false);
    }
  },
  Trend: class extends Metric {
    constructor(name, isTime) {
      super(name, 'trend', isTime);
    }
  },
};

// ---------------------------------------------------------------- k6/timers
const timerIds = new Map();
let nextTimer = 1;
export const timers = {
  setTimeout(fn, ms, ...args) {
    const id = nextTimer++;
    track(1);
    timerIds.set(
      id,
      setTimeout(() => {
        timerIds.delete(id);
        try {
          fn(...args);
        } finally {
          track(-1);
        }
      }, ms),
    );
    return id;
  },
  clearTimeout(id) {
    const t = timerIds.get(id);
    if (!t) return;
    clearTimeout(t);
    timerIds.delete(id);
    track(-1);
  },
  setInterval(fn, ms, ...args) {
    const id = nextTimer++;
    track(1);
    timerIds.set(
      id,
      setInterval(() => fn(...args), ms),
    );
    return id;
  },
  clearInterval(id) {
    timers.clearTimeout(id);
  },
};

// ---------------------------------------------------------------- k6/websockets
class WebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  constructor(url, protocols, params) {
    this.url = url;
    this.listeners = { open: [], message: [], error: [], close: [], ping: [], pong: [] };
    this.onopen = null;
    this.onmessage = null;
    this.onerror = null;
    this.onclose = null;
    this.binaryType = 'arraybuffer';
    const tags = (params && params.tags) || {};
    const started = performance.now();
    track(1);
    let open = true;
    this.ws = new WS(url, protocols || undefined, { headers: (params && params.headers) || {} });
    this.ws.on('open', () => {
      sample('ws_connecting', performance.now() - started, Object.assign({ url }, tags));
      sample('ws_sessions', 1, Object.assign({ url }, tags));
      this.dispatch('open', {});
    });
    this.ws.on('message', (data, isBinary) => {
      const payload = isBinary ? new Uint8Array(data).buffer : data.toString();
      this.dispatch('message', { data: payload });
    });
    this.ws.on('error', (err) => this.dispatch('error', { error: String(err && err.message) }));
    this.ws.on('close', () => {
      this.dispatch('close', {});
      if (open) {
        open = false;
        track(-1);
      }
    });
  }
  get readyState() {
    return this.ws.readyState;
  }
  get bufferedAmount() {
    return this.ws.bufferedAmount;
  }
  dispatch(type, event) {
    const e = Object.assign({ type, timestamp: Date.now() }, event);
    const prop = this[`on${type}`];
    if (typeof prop === 'function') prop(e);
    for (const fn of this.listeners[type] || []) fn(e);
  }
  addEventListener(type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  }
  send(data) {
    this.ws.send(data);
  }
  ping() {
    this.ws.ping();
  }
  close(code, reason) {
    this.ws.close(code, reason);
  }
}
export const websockets = { WebSocket };

// ---------------------------------------------------------------- k6/crypto, k6/encoding
const toBuf = (v) =>
  typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v instanceof ArrayBuffer ? v : v.buffer);
function encodeOut(buf, enc) {
  switch (enc) {
    case 'hex':
      return buf.toString('hex');
    case 'base64':
      return buf.toString('base64');
    case 'base64url':
      return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    case 'base64rawurl':
      return buf.toString('base64url');
    case 'binary':
      return new Uint8Array(buf).buffer;
    default:
      throw new Error(`node-runner: crypto output encoding ${enc} is not shimmed`);
  }
}
export const crypto = {
  randomBytes: (n) => new Uint8Array(nodeCrypto.randomBytes(n)).buffer,
  hmac: (alg, key, data, enc) => encodeOut(nodeCrypto.createHmac(alg, toBuf(key)).update(toBuf(data)).digest(), enc),
  sha256: (data, enc) => encodeOut(nodeCrypto.createHash('sha256').update(toBuf(data)).digest(), enc),
  md5: (data, enc) => encodeOut(nodeCrypto.createHash('md5').update(toBuf(data)).digest(), enc),
};
export const encoding = {
  b64encode(input, enc) {
    const b = toBuf(input).toString('base64');
    if (enc === 'rawstd') return b.replace(/=+$/, '');
    if (enc === 'url') return b.replace(/\+/g, '-').replace(/\//g, '_');
    if (enc === 'rawurl') return b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    return b;
  },
  b64decode(input, enc, format) {
    const buf = Buffer.from(String(input).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return format === 's' ? buf.toString('utf8') : new Uint8Array(buf).buffer;
  },
};

// ---------------------------------------------------------------- k6/execution
export const execution = {
  vu: {
    get idInTest() {
      return S.vu;
    },
    get idInInstance() {
      return S.vu;
    },
    get iterationInScenario() {
      return S.iter;
    },
  },
  scenario: {
    get name() {
      return S.scenario;
    },
  },
  instance: {},
  test: {
    abort(msg) {
      throw new Error(`test aborted: ${msg}`);
    },
  },
};
