// Shared settings of the k6 scripts: target URL, tokens, ids, env parsing, thresholds.
// Everything targets BASE_URL only; it defaults to the local edge on loopback.
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

// Refuse to load anything but a loopback target unless explicitly allowed, so a stray
// BASE_URL cannot aim a load test at a shared or production host by accident.
const authority = BASE_URL.replace(/^[a-z]+:\/\//i, '')
  .split(/[/?#]/)[0]
  .replace(/^.*@/, '');
const host = authority.startsWith('[') ? authority.slice(1, authority.indexOf(']')) : authority.split(':')[0];
const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
if (!/^https?:\/\//.test(BASE_URL)) throw new Error(`BASE_URL must start with http:// or https:// (got ${BASE_URL})`);
if (!loopback && __ENV.ALLOW_NON_LOOPBACK !== '1') {
  throw new Error(`BASE_URL ${BASE_URL} is not a loopback address; set ALLOW_NON_LOOPBACK=1 if you mean it`);
}

/** Engine.IO v4 endpoints through the edge: a WebSocket session, or an HTTP long-polling one. */
export const SOCKET_WS_URL = `${BASE_URL.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
export const SOCKET_POLLING_URL = `${BASE_URL}/socket.io/?EIO=4&transport=polling`;

/** A string env var, or `fallback` when unset or empty. */
export function env(name, fallback) {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

/** A numeric env var; a value that is not a number stops the script at once (no silent default). */
export function envNum(name, fallback) {
  const raw = env(name, undefined);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got ${raw})`);
  return n;
}

// ---------------------------------------------------------------- thresholds
// One error budget for every scenario (MAX_ERROR_RATE, a fraction), and a p95 bound per
// latency, each overridable by its own env var, so a run can be held to other targets
// without editing the scripts.
export const MAX_ERROR_RATE = envNum('MAX_ERROR_RATE', 0.01);
/** For Rate metrics counting successes (true = ok). */
export const okRate = () => [`rate>=${Math.max(0, 1 - MAX_ERROR_RATE).toFixed(6)}`];
/** For Rate metrics counting failures (true = failed), like http_req_failed. */
export const failRate = () => [`rate<=${MAX_ERROR_RATE}`];
/** `p(95)<N` ms, N from env `name` or the default. */
export const p95 = (name, ms) => [`p(95)<${envNum(name, ms)}`];

// ---------------------------------------------------------------- ids and tokens
const JWT_SECRET = __ENV.JWT_SECRET || '';
if (JWT_SECRET.length < 16) throw new Error('set JWT_SECRET (the one the services run with, >= 16 characters)');
const TOKEN_TTL_S = envNum('TOKEN_TTL_S', 3600);

/** A random 24-hex MongoDB ObjectId string (a fresh user id). */
export function objectId() {
  const bytes = new Uint8Array(crypto.randomBytes(12));
  let hex = '';
  for (const b of bytes) hex += (b < 16 ? '0' : '') + b.toString(16);
  return hex;
}

const b64url = (s) => encoding.b64encode(s, 'rawurl');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** HS256 JWT for user `sub`, signed with JWT_SECRET (what the services verify). */
export function token(sub) {
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url(JSON.stringify({ sub, iat: now, exp: now + TOKEN_TTL_S }));
  const signature = crypto.hmac('sha256', JWT_SECRET, `${HEADER}.${payload}`, 'base64rawurl');
  return `${HEADER}.${payload}.${signature}`;
}

/** A user: id, token and ready-made JSON headers. `id` defaults to a fresh one. */
export function newUser(id) {
  const sub = id || objectId();
  const jwt = token(sub);
  return { id: sub, token: jwt, headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' } };
}

/** Parses a JSON body, or returns undefined. */
export function json(res) {
  try {
    return JSON.parse(String(res.body));
  } catch (e) {
    return undefined;
  }
}

/** The id of a chat or message object as the API renders it. */
export const idOf = (obj) => (obj && (obj._id || obj.id || obj.chatId)) || undefined;

/**
 * Which transport socket number `n` of a run uses: a POLLING_SHARE fraction (0..1) of the
 * sockets, spread evenly, use Engine.IO long polling and the rest WebSocket.
 */
export const POLLING_SHARE = Math.min(1, envNum('POLLING_SHARE', 0.25));
export function transportFor(n) {
  return Math.floor((n + 1) * POLLING_SHARE) > Math.floor(n * POLLING_SHARE) ? 'polling' : 'websocket';
}
