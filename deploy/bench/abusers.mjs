// Child process of row 8 (abuse during load): a few abusers, each its own user in a chat of its
// own, connected through the edge like the honest clients (WebSocket). Told `start`, each floods
// its kind of abuse until `stop` (or its own time limit), reconnecting when it is cut off; then it
// reports what the stack answered. It runs in a process of its own so its CPU and its event loop
// do not sit in the one that times the honest sends.
// Bounded: counters only, at most MAX_OUTSTANDING unanswered events per socket (a tick with more
// is skipped), and a closed socket's pending acks go with it.
// Protocol (IPC): the parent sends { url, limits, seconds, abusers: [{ kind, userId, chatId }] }
// and gets { ready }; then 'start', 'stop' (answered with { abusers }) and 'close' (exit).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io } from 'socket.io-client';
import { tokenFor } from '@chat/testkit';

const TICK_MS = 10;
const MAX_OUTSTANDING = 200;
// A client cut off comes back after this long (socket.io-client's own default is ~1 s).
const RECONNECT_MS = 250;
const DRAIN_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;
// Flooders send this many times their per-user budget (SOCKET_RATE_LIMIT_POINTS per window).
const OVER_LIMIT = 3;
// Oversized content costs bandwidth at every hop; this many a second is already 3-4 MB/s.
const OVERSIZED_PER_SECOND = 50;
// Disconnect reasons the server caused: a garbage cut, or a frame past maxHttpBufferSize.
const CUT_REASONS = new Set(['io server disconnect', 'transport close', 'transport error']);

const bump = (counts, key, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n;
};

/** Payloads the contract refuses: missing or invalid ids, wrong types, no object, an unknown event. */
const malformedEvents = (chatId) => [
  ['send_message', { content: 'no chat id', messageType: 'text' }],
  ['send_message', { chatId: 'not-an-object-id', content: 'x' }],
  ['send_message', { chatId: 12345, content: 'x' }],
  ['send_message', { chatId, content: 42 }],
  ['send_message', { chatId, content: 'x', replyToId: 'zzz' }],
  ['send_message', { chatId: { $gt: '' }, content: 'x' }],
  ['send_message', 'a string, not an object'],
  ['send_message', 42],
  ['send_message', null],
  ['send_message', [chatId, 'x']],
  ['send_message'], // no payload at all, only the ack
  ['join_chat', { chatId: 'z'.repeat(24) }],
  ['sendMessage', { chatId, content: 'x' }], // not an event of the contract
];

/**
 * Each kind: events per second, and for a chat the i-th event as [name, ...payload]. `limits` are the
 * phase gateways' parsed config, `contentMax` message-api's content limit.
 */
function kinds({ limits, contentMax }) {
  const budget = limits.SOCKET_RATE_LIMIT_POINTS / limits.SOCKET_RATE_LIMIT_WINDOW_S;
  // Far past message-api's limit, yet a frame the gateway still reads (its contract allows 100,000).
  const big = 'x'.repeat(Math.max(contentMax * 2, limits.SOCKET_MAX_PAYLOAD_BYTES - 2_048));
  // One frame past SOCKET_MAX_PAYLOAD_BYTES: the engine closes the connection.
  const huge = 'x'.repeat(limits.SOCKET_MAX_PAYLOAD_BYTES + 1_024);
  const tag = randomBytes(3).toString('hex');
  return {
    malformed: {
      perSecond: OVER_LIMIT * budget,
      events: (chatId) => {
        const list = malformedEvents(chatId);
        return (i) => list[i % list.length];
      },
    },
    // Every eighth a frame that ends the connection: sent once the others were answered, and
    // nothing after it on that connection.
    oversized: {
      perSecond: OVERSIZED_PER_SECOND,
      events: (chatId) => (i) => [
        'send_message',
        { chatId, content: i % 8 === 7 ? huge : big, clientMessageId: `big-${tag}-${i}` },
      ],
      waitForAnswers: (i) => i % 8 === 7 || i % 8 === 0,
    },
    // Valid events past the budget: mostly `typing`, every tenth a real message.
    flood: {
      perSecond: OVER_LIMIT * budget,
      events: (chatId) => (i) =>
        i % 10 === 9
          ? ['send_message', { chatId, content: `flood ${i}`, clientMessageId: `fl-${tag}-${i}` }]
          : ['typing', { chatId }],
    },
  };
}

/** One abuser: its socket (replaced when cut off), its pace and what it saw. */
function abuser(spec, url, kind) {
  const stats = {
    kind: spec.kind,
    userId: spec.userId,
    sent: 0,
    admitted: 0,
    refused: {},
    errorEvents: {},
    unanswered: 0,
    disconnects: {},
    connects: 0,
    connectErrors: {},
    nodes: {},
    floodSeconds: 0,
  };
  let conn; // { socket, outstanding, ready }
  let flooding = false;
  let credit = 0;
  let i = 0;
  const nextEvent = kind.events(spec.chatId);

  const connect = () =>
    new Promise((resolve) => {
      const socket = io(url, {
        auth: { token: tokenFor(spec.userId) },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: CONNECT_TIMEOUT_MS,
      });
      const c = { socket, outstanding: 0, ready: false };
      stats.connects++;
      /** Not connected and joined: try again later (while flooding). */
      const retry = (why) => {
        if (c.ready || c.failed) return;
        c.failed = true;
        bump(stats.connectErrors, why);
        socket.close();
        if (flooding) setTimeout(connect, RECONNECT_MS);
        resolve(false);
      };
      socket.once('connect_error', (err) => retry(String(err.data?.code ?? err.message).slice(0, 40)));
      socket.once('connect', () => {
        bump(stats.nodes, socket.io.engine.id.split('.')[0]);
        socket.emit('join_chat', { chatId: spec.chatId }, (ack) => {
          if (!ack?.ok) return retry(`join_chat ${ack?.code}`);
          c.ready = true;
          conn = c;
          resolve(true);
        });
      });
      socket.on('error', (e) => bump(stats.errorEvents, e?.code ?? 'no code'));
      socket.on('disconnect', (reason) => {
        if (reason === 'io client disconnect') return;
        if (!c.ready) return retry(`before join: ${reason}`);
        bump(stats.disconnects, reason);
        stats.unanswered += c.outstanding;
        c.outstanding = 0;
        if (conn === c) conn = undefined;
        if (flooding) setTimeout(connect, RECONNECT_MS);
      });
    });

  const emitOne = (c) => {
    const [name, ...payload] = nextEvent(i++);
    stats.sent++;
    c.outstanding++;
    c.socket.emit(name, ...payload, (ack) => {
      c.outstanding--;
      if (ack?.ok) stats.admitted++;
      else bump(stats.refused, ack?.code ?? 'no code');
    });
  };

  return {
    stats,
    connect,
    start() {
      flooding = true;
      stats.floodSeconds = -performance.now() / 1000;
      if (!conn) void connect();
    },
    /** One tick: spend this tick's credit, never more than a tenth of a second's worth. */
    tick(ms) {
      credit = Math.min(credit + (kind.perSecond * ms) / 1000, kind.perSecond / 10 + 1);
      const room = () => conn.outstanding < (kind.waitForAnswers?.(i) ? 1 : MAX_OUTSTANDING);
      while (flooding && credit >= 1 && conn?.ready && conn.socket.connected && room()) {
        credit--;
        emitOne(conn);
      }
    },
    stop() {
      if (flooding) stats.floodSeconds += performance.now() / 1000;
      flooding = false;
    },
    outstanding: () => conn?.outstanding ?? 0,
    close() {
      stats.unanswered += conn?.outstanding ?? 0;
      conn?.socket.close();
    },
  };
}

const waitFor = (msg) => new Promise((resolve) => process.on('message', (m) => m === msg && resolve()));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (counts) => Object.values(counts).reduce((s, n) => s + n, 0);

// Told to close (at any point, e.g. when the parent's run failed) or the parent gone (crash,
// watchdog): do not linger with open sockets.
process.on('message', (m) => m === 'close' && process.exit(0));
process.on('disconnect', () => process.exit(0));
const setup = await new Promise((resolve) => process.once('message', resolve));
const catalogue = kinds(setup);
const abusers = setup.abusers.map((spec) => abuser(spec, setup.url, catalogue[spec.kind]));
const connected = await Promise.all(abusers.map((a) => a.connect()));
process.send({ ready: true, connected: connected.filter(Boolean).length });

await waitFor('start');
for (const a of abusers) a.start();
let last = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  for (const a of abusers) a.tick(now - last);
  last = now;
}, TICK_MS);
// Never longer than the parent said, even if 'stop' does not come.
await Promise.race([waitFor('stop'), sleep(setup.seconds * 1000)]);
clearInterval(ticker);
for (const a of abusers) a.stop();
for (let waited = 0; waited < DRAIN_MS && abusers.some((a) => a.outstanding() > 0); waited += 50) await sleep(50);
for (const a of abusers) a.close();
process.send({
  abusers: abusers.map(({ stats }) => {
    const cut = Object.entries(stats.disconnects).reduce((s, [reason, n]) => s + (CUT_REASONS.has(reason) ? n : 0), 0);
    return { ...stats, refusedTotal: sum(stats.refused), cut, limited: sum(stats.refused) > 0 || cut > 0 };
  }),
});
// The IPC channel keeps this process until 'close'.
