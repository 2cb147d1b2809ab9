// REST load test through the edge: create chats, list active chats, page through messages.
//   JWT_SECRET=... k6 run deploy/k6/rest.js
// Env: BASE_URL (http://127.0.0.1:8080), JWT_SECRET (required), VUS (10), DURATION (1m),
//      MAX_ITERATIONS (per-VU cap, 200). See README.md.
import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { BASE_URL, idOf, json, newUser } from './lib/config.js';

const VUS = Number(__ENV.VUS || 10);
const DURATION = __ENV.DURATION || '1m';
const MAX_ITERATIONS = Number(__ENV.MAX_ITERATIONS || 200);

export const options = {
  scenarios: {
    chats: {
      // Bounded twice: by duration and by an iteration cap per VU.
      executor: 'per-vu-iterations',
      vus: VUS,
      iterations: MAX_ITERATIONS,
      maxDuration: DURATION,
      gracefulStop: '10s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    'http_req_duration{name:POST /api/chats/or-create}': ['p(95)<300', 'p(99)<800'],
    'http_req_duration{name:GET /api/chats/active}': ['p(95)<250'],
    'http_req_duration{name:GET /api/chats/:chatId/messages}': ['p(95)<250'],
    chats_created: ['count>0'],
  },
  // A 4xx is a failure here: every request below is valid, and its expected status is checked.
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const chatsCreated = new Counter('chats_created');
const activeListSize = new Trend('active_list_size');

// One requester per VU for the whole run, so its active list grows like a real user's.
let me;

export default function () {
  if (!me) me = newUser();
  const other = newUser();
  let chatId;

  group('create chat', () => {
    // The requester opens a chat; the recipient answers with its own or-create, which turns
    // the pending request into auto_accepted (so it shows in /active).
    const created = http.post(`${BASE_URL}/api/chats/or-create`, JSON.stringify({ recipientId: other.id }), {
      headers: me.headers,
      tags: { name: 'POST /api/chats/or-create' },
    });
    const body = json(created);
    chatId = idOf(body && body.data);
    if (
      check(created, {
        'or-create: 201': (r) => r.status === 201,
        'or-create: chat id': () => typeof chatId === 'string' && chatId.length === 24,
      })
    )
      chatsCreated.add(1);

    const answered = http.post(`${BASE_URL}/api/chats/or-create`, JSON.stringify({ recipientId: me.id }), {
      headers: other.headers,
      tags: { name: 'POST /api/chats/or-create' },
    });
    const answer = json(answered);
    check(answered, {
      'or-create back: 200, same chat': (r) => r.status === 200 && idOf(answer && answer.data) === chatId,
      'or-create back: auto_accepted': () => Boolean(answer && answer.data && answer.data.status === 'auto_accepted'),
    });
  });

  if (!chatId) return;

  group('list active chats', () => {
    const res = http.get(`${BASE_URL}/api/chats/active?limit=50&page=1`, {
      headers: me.headers,
      tags: { name: 'GET /api/chats/active' },
    });
    const body = json(res);
    const data = body && Array.isArray(body.data) ? body.data : undefined;
    if (data) activeListSize.add(data.length);
    check(res, {
      'active: 200': (r) => r.status === 200,
      'active: list with pagination': () =>
        Boolean(data && body.pagination && typeof body.pagination.total === 'number'),
      'active: unreadCount is a number': () => Boolean(data && data.every((c) => typeof c.unreadCount === 'number')),
    });
  });

  group('fetch messages', () => {
    const res = http.get(`${BASE_URL}/api/chats/${chatId}/messages?limit=50&page=1`, {
      headers: other.headers,
      tags: { name: 'GET /api/chats/:chatId/messages' },
    });
    const body = json(res);
    check(res, {
      'messages: 200': (r) => r.status === 200,
      'messages: list': () => Boolean(body && Array.isArray(body.data)),
    });
  });

  sleep(Number(__ENV.THINK_TIME_S || 0.5));
}
