// Shared settings of the k6 scripts: target URL, tokens, ids.
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

/** ws(s):// URL of the Socket.IO endpoint, WebSocket transport only (no long-polling). */
export const SOCKET_URL = `${BASE_URL.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;

const JWT_SECRET = __ENV.JWT_SECRET || '';
if (JWT_SECRET.length < 16) throw new Error('set JWT_SECRET (the one the services run with, >= 16 characters)');
const TOKEN_TTL_S = Number(__ENV.TOKEN_TTL_S || 3600);

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

/** A user: id plus ready-made headers. */
export function newUser() {
  const id = objectId();
  const jwt = token(id);
  return { id, token: jwt, headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' } };
}

/** Parses a JSON body, or returns undefined. */
export function json(res) {
  try {
    return JSON.parse(res.body);
  } catch (e) {
    return undefined;
  }
}

/** The id of a chat or message object as the API renders it. */
export const idOf = (obj) => (obj && (obj._id || obj.id || obj.chatId)) || undefined;
