// REST reads through the edge against chats that have a history. setup() makes CHATS
// accepted chats (POST /api/chats/or-create both ways) and seeds each with SEED_MESSAGES
// messages over WebSocket (the API has no REST send), both participants sending, paced
// under the per-user socket budget; it fails the run unless every message was acknowledged.
// Each iteration then reads one chat as one of its participants, as a client would:
//   /messages newest page, then `before` cursors to the first message (every message once,
//             in (createdAt, _id) order), and one `after` page from the oldest
//   /changes  since=0, following `rev` while hasMore (every message once, revs rising)
//   /search   a word that SEED_MESSAGES / 5 of the messages hold (exactly those found)
//   /active   the chat is listed
//   JWT_SECRET=... k6 run deploy/k6/rest.js
// Env: see README.md (VUS, CHATS, SEED_MESSAGES, ITERATIONS, PAGE_SIZE, P95_*_MS, ...).
import http from 'k6/http';
import { check, fail, group, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { BASE_URL, env, envNum, failRate, json, newUser, okRate, p95 } from './lib/config.js';
import { makeChat } from './lib/chat.js';
import { ACK_TIMEOUT_MS, openSocket } from './lib/pair.js';
import { delay } from './lib/socketio.js';

const VUS = envNum('VUS', 10);
const CHATS = envNum('CHATS', VUS); // one chat per VU by default: each user's REST budget is its own
const SEED_MESSAGES = envNum('SEED_MESSAGES', 300);
// Per user and second; the gateway allows SOCKET_RATE_LIMIT_POINTS (30) events per user and second.
const SEED_RATE = envNum('SEED_RATE', 20);
const SEED_WINDOW = envNum('SEED_WINDOW', 4); // sends in flight per user
const SEED_CONCURRENCY = envNum('SEED_CONCURRENCY', 10); // chats seeded at once
const PAGE_SIZE = envNum('PAGE_SIZE', 50);
const THINK_TIME_S = envNum('THINK_TIME_S', 1);

const WORDS = ['amber', 'basil', 'cedar', 'delta', 'ember'];
const SEARCH_WORD = WORDS[2];
const seedText = (n) => `seed ${n} ${WORDS[n % WORDS.length]} of a k6 history`;
let searchMatches = 0;
for (let n = 0; n < SEED_MESSAGES; n++) if (n % WORDS.length === 2) searchMatches++;

const T = {
  messages: 'GET /api/chats/:chatId/messages',
  before: 'GET /api/chats/:chatId/messages?before',
  after: 'GET /api/chats/:chatId/messages?after',
  changes: 'GET /api/chats/:chatId/changes',
  search: 'GET /api/chats/:chatId/search',
  active: 'GET /api/chats/active',
  orCreate: 'POST /api/chats/or-create',
};

export const options = {
  setupTimeout: env('SETUP_TIMEOUT', '5m'),
  scenarios: {
    reads: {
      executor: 'per-vu-iterations',
      vus: VUS,
      iterations: envNum('ITERATIONS', 20),
      maxDuration: env('DURATION', '3m'),
      gracefulStop: '10s',
    },
  },
  thresholds: {
    http_req_failed: failRate(),
    checks: okRate(),
    seeded_messages: [`count>=${CHATS * SEED_MESSAGES}`],
    [`http_req_duration{name:${T.orCreate}}`]: p95('P95_WRITE_MS', 300),
    [`http_req_duration{name:${T.messages}}`]: p95('P95_READ_MS', 300),
    [`http_req_duration{name:${T.before}}`]: p95('P95_READ_MS', 300),
    [`http_req_duration{name:${T.after}}`]: p95('P95_READ_MS', 300),
    [`http_req_duration{name:${T.changes}}`]: p95('P95_READ_MS', 300),
    [`http_req_duration{name:${T.search}}`]: p95('P95_SEARCH_MS', 500),
    [`http_req_duration{name:${T.active}}`]: p95('P95_READ_MS', 300),
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const seeded = new Counter('seeded_messages');
const seedAckMs = new Trend('seed_ack_ms', true);
const pagesRead = new Counter('history_pages');

/** Resolves after waiting for the next send slot of `perSecond` sends per second. */
function pacer(perSecond) {
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + 1000 / perSecond;
    await delay(at - now);
  };
}

/** Sends messages `ns` of the chat from `client`, SEED_WINDOW at a time; resolves with the count acked. */
async function seedLane(client, chatId, ns) {
  const pace = pacer(SEED_RATE);
  let i = 0;
  let acked = 0;
  const worker = async () => {
    while (i < ns.length) {
      const n = ns[i++];
      // The same clientMessageId on a retry: the API stores a repeated send once.
      const payload = { chatId, content: seedText(n), clientMessageId: `seed-${n}` };
      for (let attempt = 1; attempt <= 4; attempt++) {
        await pace();
        const sentAt = Date.now();
        const res = await client.emit('send_message', payload, ACK_TIMEOUT_MS);
        if (res.ok) {
          seedAckMs.add(Date.now() - sentAt);
          acked++;
          break;
        }
        const retryable = ['RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL', 'TIMEOUT'].includes(res.code);
        console.warn(
          `seed send ${n} of ${chatId}: ${JSON.stringify(res)}${retryable && attempt < 4 ? ', retrying' : ''}`,
        );
        if (!retryable || client.closed) break;
        await delay(500 * attempt);
      }
    }
  };
  const workers = [];
  for (let w = 0; w < SEED_WINDOW; w++) workers.push(worker());
  await Promise.all(workers);
  return acked;
}

/** Seeds one chat: both participants send over their own WebSocket, every other message each. */
async function seedChat(chat) {
  const [a, b] = await Promise.all(chat.users.map((u) => openSocket(u, 'websocket')));
  /** @type {number[][]} */
  const lanes = [[], []];
  for (let n = 0; n < SEED_MESSAGES; n++) lanes[n % 2].push(n);
  const counts =
    a && b ? await Promise.all([seedLane(a, chat.chatId, lanes[0]), seedLane(b, chat.chatId, lanes[1])]) : [0, 0];
  await Promise.all([a && a.close(), b && b.close()]);
  const count = counts[0] + counts[1];
  seeded.add(count);
  return count;
}

export async function setup() {
  const started = Date.now();
  const chats = [];
  for (let c = 0; c < CHATS; c++) chats.push(makeChat());
  for (let c = 0; c < chats.length; c += SEED_CONCURRENCY) {
    const batch = chats.slice(c, c + SEED_CONCURRENCY);
    const counts = await Promise.all(batch.map(seedChat));
    counts.forEach((count, i) => {
      if (count !== SEED_MESSAGES)
        fail(`seeding chat ${batch[i].chatId}: ${count} of ${SEED_MESSAGES} messages acknowledged`);
    });
  }
  console.log(`seeded ${CHATS} chats x ${SEED_MESSAGES} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Ids only: each VU mints its own tokens, so a long run outlives no token.
  return { chats: chats.map((c) => ({ chatId: c.chatId, users: c.users.map((u) => u.id) })) };
}

/** @type {Record<string, ReturnType<typeof newUser>>} */
const users = {};
const userOf = (id) => users[id] || (users[id] = newUser(id));

/** GET as `user`, tagged `name`; returns [response, parsed body]. */
function get(user, url, name) {
  const res = http.get(url, { headers: user.headers, tags: { name } });
  return [res, json(res) || {}];
}

const keyOf = (m) => `${m.createdAt}|${m._id}`; // the lists' (createdAt, _id) order

/** Every message once, newest first, page by page with `before` cursors. */
function readHistory(user, base) {
  const seen = {};
  let count = 0;
  let duplicates = 0;
  let ordered = true;
  let statusOk = true;
  let lastKey = '\uffff';
  let before;
  let oldest;
  let total;
  // A bound on the walk: the pages of the seeded history, plus one.
  for (let page = 0; page <= Math.ceil(SEED_MESSAGES / PAGE_SIZE); page++) {
    const [res, body] = before
      ? get(user, `${base}/messages?limit=${PAGE_SIZE}&before=${before}`, T.before)
      : get(user, `${base}/messages?limit=${PAGE_SIZE}`, T.messages);
    pagesRead.add(1);
    const list = Array.isArray(body.data) ? body.data : [];
    if (res.status !== 200 || !Array.isArray(body.data)) statusOk = false;
    if (total === undefined && body.pagination) total = body.pagination.total;
    for (const m of list) {
      if (seen[m._id]) duplicates++;
      seen[m._id] = true;
      count++;
      if (keyOf(m) >= lastKey) ordered = false;
      lastKey = keyOf(m);
      oldest = m;
    }
    if (list.length < PAGE_SIZE) break;
    before = list[list.length - 1]._id;
  }
  check(null, {
    'messages: 200 on every page': () => statusOk,
    'messages: pagination.total is the seeded count': () => total === SEED_MESSAGES,
    'messages: cursor pages hold every message once': () => count === SEED_MESSAGES && duplicates === 0,
    'messages: newest first across pages': () => ordered,
  });
  return oldest;
}

/** One `after` page from the oldest message: the next ones, oldest first. */
function readAfter(user, base, oldest) {
  const [res, body] = get(user, `${base}/messages?limit=${PAGE_SIZE}&after=${oldest._id}`, T.after);
  const list = Array.isArray(body.data) ? body.data : [];
  let ordered = true;
  for (let i = 1; i < list.length; i++) if (keyOf(list[i]) <= keyOf(list[i - 1])) ordered = false;
  check(res, {
    'messages after: 200, a full page': (r) =>
      r.status === 200 && list.length === Math.min(PAGE_SIZE, SEED_MESSAGES - 1),
    'messages after: oldest first, all newer than the cursor': () =>
      ordered && list.every((m) => keyOf(m) > keyOf(oldest) && m._id !== oldest._id),
  });
}

/** The catch-up feed from rev 0 to its end. */
function readChanges(user, base) {
  let since = 0;
  let count = 0;
  let rising = true;
  let statusOk = true;
  let hasMore = true;
  for (let page = 0; hasMore && page <= Math.ceil(SEED_MESSAGES / 100) + 1; page++) {
    const [res, body] = get(user, `${base}/changes?since=${since}&limit=100`, T.changes);
    const data = body.data || {};
    const changes = Array.isArray(data.changes) ? data.changes : [];
    if (res.status !== 200 || !Array.isArray(data.changes)) statusOk = false;
    for (const m of changes) {
      if (!(m.rev > since)) rising = false;
      since = m.rev;
      count++;
    }
    if (typeof data.rev === 'number') since = Math.max(since, data.rev);
    hasMore = data.hasMore === true && changes.length > 0;
  }
  check(null, {
    'changes: 200 on every page': () => statusOk,
    'changes: every seeded message once, revs rising': () => count === SEED_MESSAGES && rising,
    'changes: followed to its end (hasMore false)': () => !hasMore,
  });
}

function search(user, base) {
  const [res, body] = get(user, `${base}/search?q=${SEARCH_WORD.toUpperCase()}&limit=100`, T.search);
  const list = Array.isArray(body.data) ? body.data : [];
  check(res, {
    'search: 200, case-insensitive matches only': (r) =>
      r.status === 200 && list.length > 0 && list.every((m) => String(m.content).includes(SEARCH_WORD)),
    'search: every match in one complete window': () =>
      Boolean(body.pagination) &&
      body.pagination.total === searchMatches &&
      Boolean(body.window) &&
      body.window.complete === true,
  });
}

export default function (data) {
  const chat = data.chats[(__VU - 1) % data.chats.length];
  // The participants take turns, so each stays well inside its per-user REST budget.
  const user = userOf(chat.users[__ITER % 2]);
  const base = `${BASE_URL}/api/chats/${chat.chatId}`;

  group('history', () => {
    const oldest = readHistory(user, base);
    if (oldest && SEED_MESSAGES > 1) readAfter(user, base, oldest);
  });
  group('catch-up', () => readChanges(user, base));
  group('search', () => search(user, base));
  group('chat list', () => {
    const [res, body] = get(user, `${BASE_URL}/api/chats/active?limit=50`, T.active);
    check(res, {
      'active: 200, lists the chat': (r) =>
        r.status === 200 && Array.isArray(body.data) && body.data.some((c) => c._id === chat.chatId),
    });
  });
  sleep(THINK_TIME_S);
}
