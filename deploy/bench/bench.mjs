#!/usr/bin/env node
// The runnable benchmark (see README.md here). In ONE run, against ONE fresh database and the
// same service processes, it measures each figure and the baseline it is judged against, prints
// one table of ratios (absolute numbers vary by machine; ratios travel), writes
// bench-results/<timestamp>.json, and with --strict exits 1 when a target is missed.
// Only loopback addresses are used; every loop is bounded in count and time, and the whole run
// by a watchdog.
// Usage: npm run build && npm run bench [-- --strict] [--quick] [--stored 200000] [--big 200000]
//        [--stored2 400000] [--soak-minutes 20] [--only sends] ...
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { api, dropDatabase, spawnService, startNatsServer, startRedisServer, TEST_JWT_SECRET, tokenFor } from '@chat/testkit';
import { ABUSER_KINDS, abuseDuringLoad } from './abuse.mjs';
import { closePairs, measureSends, openPairs } from './messaging.mjs';
import { runConversation } from './conversation.mjs';
import { idleCpu, mongoServerPids } from './procstat.mjs';
import { abuseLines, bigChatLines, cpuLines, cpuPerMessageOf, idleGroups, infoRows, printTable, seedingLines, soakLines, targetRows, writeJson } from './report.mjs';
import { bareSocketIoRss, rssPerSocket } from './rss.mjs';
import { createChats, extendPlan, seedMessages, spread, SEARCH_WORD } from './seed.mjs';
import { bigChatRounds, bigChatRows, neededSeqs } from './big-chat.mjs';
import { soak } from './soak.mjs';
import { deadRowsAfterLoad, documentCount, postgresUrlFor } from './dead-rows.mjs';
import { floorSends } from './floor.mjs';
import { load, sleep } from './stats.mjs';
import { openStore, rawInserts } from './store.mjs';
import { waitForQuiet } from './quiesce.mjs';
import { canRunOwnFerretDb, postgresPidsFor, startOwnFerretDb } from './store-server.mjs';

const { values: opts } = parseArgs({
  options: {
    strict: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    'shared-store': { type: 'boolean', default: false },
    stored: { type: 'string' },
    small: { type: 'string' },
    chats: { type: 'string' },
    sockets: { type: 'string' },
    'idle-seconds': { type: 'string' },
    seconds: { type: 'string' },
    big: { type: 'string' },
    'big-calls': { type: 'string' },
    stored2: { type: 'string' },
    'soak-minutes': { type: 'string' },
    only: { type: 'string' },
    // A setting for every service process (repeatable): --set PROJECTION_LINGER_MS=50
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: fileURLToPath(new URL('../../bench-results/', import.meta.url)) },
  },
});
// --only sends: the send path alone (rows 1-3, c1, i3 and the floor on the small store), ~2 minutes.
const ONLY = ['sends'];
if (opts.only !== undefined && !ONLY.includes(opts.only)) {
  console.error(`--only: one of ${ONLY.join(', ')}, not ${JSON.stringify(opts.only)}`);
  process.exit(2);
}
const SENDS_ONLY = opts.only === 'sends';
// --quick: a smoke run of every step in about two minutes (figures not comparable to a full run).
const num = (v, full, quick) => Number(v ?? (opts.quick ? quick : full));
const CFG = {
  stored: num(opts.stored, 200_000, 20_000),
  small: num(opts.small, 1_000, 1_000),
  chats: num(opts.chats, 2_000, 200),
  sockets: num(opts.sockets, 3_000, 500),
  idleSeconds: num(opts['idle-seconds'], 30, 5),
  sendSeconds: num(opts.seconds, 12, 4),
  // Row 9: the big chat's size (0 skips the rows) and the timed calls per row and chat.
  big: num(opts.big, 200_000, 20_000),
  bigCalls: num(opts['big-calls'], 9, 5),
  // Rows 4'-6': the second load brings the store to this many (the big chat is part of it).
  stored2: num(opts.stored2, 400_000, 40_000),
  // Row 10 (0 skips it).
  soakMinutes: num(opts['soak-minutes'], 20, 1),
};
const SEND_CHATS = 8;
const SEND_IN_FLIGHT = 4;
const GATEWAY_PAIRS = 10;
const READ_REQUESTS = 200;
const READ_TIMEOUT_MS = 15_000;
// The big chat's calls: a row starts no new pair after BIG_ROW_SECONDS; a call that takes longer
// than BIG_CALL_TIMEOUT_MS ends its row (the value is then a lower bound).
const BIG_ROW_SECONDS = 30;
const BIG_CALL_TIMEOUT_MS = 30_000;
const SMALL_TWIN = 100; // the chat the big one is compared with
const DEAD_ROW_RATIO = 2;
const SOAK_COLLECTIONS = ['chats', 'messages', 'send_outbox', 'read_outbox'];
// The watchdog: 25 minutes for everything but the soak (a default run takes ~15 of them; the big
// chat's rows may take 10 when its calls time out), plus the soak itself. A default run takes
// ~35 minutes. --only sends takes ~2 minutes: 10 is plenty.
const RUN_BUDGET_MS = (SENDS_ONLY ? 10 : 25 + CFG.soakMinutes) * 60_000;

// Row 9's calls, warm-up included, each writing a message of its own (see big-chat.mjs): both
// chats must be large enough for them, which is checked before anything starts.
const BIG_ROUNDS = bigChatRounds(CFG.bigCalls);
if (CFG.big > 0) for (const n of [CFG.big, SMALL_TWIN]) neededSeqs(n, BIG_ROUNDS);

const startedAt = new Date();
const loadAtStart = loadavg().map((l) => l.toFixed(2));
const t0 = performance.now();
const log = (text) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${text}`);

const measured = {};
const failures = [];
/** Runs one measurement; a failure (a service mid-change, a timeout) is recorded, not fatal. */
async function measure(name, fn) {
  log(name);
  try {
    return await fn();
  } catch (err) {
    failures.push(`${name}: ${err.stack ?? err}`);
    log(`  FAILED: ${err.message}`);
    return undefined;
  }
}

// ---- the stack -------------------------------------------------------------------------
/**
 * Own NATS and Redis servers, a fresh database on the MongoDB-wire server (our own FerretDB
 * unless --shared-store, see store-server.mjs), and the environment every service gets.
 */
async function startInfra() {
  const ferret = !opts['shared-store'] && canRunOwnFerretDb() ? await startOwnFerretDb() : undefined;
  const [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
  const mongo = new URL(ferret?.mongoBase ?? process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/chat');
  const database = `bench_${randomBytes(6).toString('hex')}`;
  mongo.pathname = `/${database}`;
  const mongoUrl = mongo.toString();
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    JWT_SECRET: TEST_JWT_SECRET,
    MONGO_URL: mongoUrl,
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    // The bench is a few users sending as fast as the stack allows: abuse limits must not bite.
    SOCKET_RATE_LIMIT_POINTS: '10000000',
    HTTP_RATE_LIMIT_POINTS: '10000000',
    METRICS_PORT: '0', // the edge's metrics port: any free one
    ...Object.fromEntries(opts.set.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  };
  const stop = async () => {
    await dropDatabase(mongoUrl).catch((err) => log(`dropping ${mongoUrl}: ${err.message}`));
    await Promise.all([nats.stop(), redis.stop()]);
    await ferret?.stop();
  };
  return { nats, redis, ferret, mongoUrl, database, env, stop };
}

const infra = await startInfra();
const { env } = infra;
const running = [];
let store;
async function cleanup() {
  await Promise.allSettled(running.map((s) => s.stop()));
  await store?.close().catch(() => undefined);
  await infra.stop();
}
const watchdog = setTimeout(async () => {
  log(`run budget of ${RUN_BUDGET_MS / 1000} s exceeded: stopping`);
  await cleanup().catch(() => undefined);
  process.exit(3);
}, RUN_BUDGET_MS);

async function spawn(name, extra = {}) {
  const s = await spawnService(name, { ...env, ...extra });
  s.label = extra.GATEWAY_NODE_ID ?? name;
  running.push(s);
  return s;
}
const stopOne = async (s) => {
  await s.stop();
  running.splice(running.indexOf(s), 1);
};
/** The store's processes by group: the MongoDB-wire server and the PostgreSQL processes serving it. */
const storePids = () => ({
  ferretdb: infra.ferret ? [infra.ferret.pid] : mongoServerPids(infra.mongoUrl),
  postgres: postgresPidsFor(infra.ferret?.pid).pids,
});
/** The PostgreSQL server: the children it reaps count as `postgres (exited)` (see procstat.mjs's cpuMeter). */
const storeReapers = () => {
  const { postmaster } = postgresPidsFor(infra.ferret?.pid);
  return postmaster === undefined ? {} : { postgres: postmaster };
};
/** Every process of the stack by group (label), for CPU accounting. */
const stackPids = () => ({
  ...Object.fromEntries(running.map((s) => [s.label, [s.process.pid]])),
  nats: [infra.nats.process.pid],
  redis: [infra.redis.process.pid],
  ...storePids(),
});

// ---- measurement steps -------------------------------------------------------------------
/** Row 5: p50 of the three history reads of one seeded chat, through the edge, 1 in flight. */
async function reads(edgeUrl, chat) {
  const headers = { authorization: `Bearer ${tokenFor(chat.a)}` };
  // A request that takes longer than this fails the figure instead of eating the run's budget.
  const get = (path) => async () => {
    const res = await fetch(`${edgeUrl}${path}`, { headers, signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body.slice(0, 200)}`);
  };
  const opt = { total: READ_REQUESTS, seconds: 6, concurrency: 1, warmup: 5 };
  return {
    messages: await load(opt, get(`/api/chats/${chat.chatId}/messages?limit=50`)),
    changes: await load(opt, get(`/api/chats/${chat.chatId}/changes?since=0`)),
    search: await load(opt, get(`/api/chats/${chat.chatId}/search?q=${SEARCH_WORD}`)),
  };
}

/**
 * Rows 1, 2 and 4: both send loads through the edge (sockets reopened per phase). The 8 × 4
 * load counts the CPU of every process of the stack (row c1): during the load, and until the
 * event backlog it left drained (chat-api's projection, the broadcasts), at most 30 s after it.
 */
async function sends(edgeUrl, sendChats) {
  const pairs = await openPairs(sendChats, edgeUrl);
  try {
    const one = await measureSends(pairs.slice(0, 1), { inFlight: 1, total: 5_000, seconds: CFG.sendSeconds });
    const many = await measureSends(pairs, {
      inFlight: SEND_IN_FLIGHT,
      total: 20_000,
      seconds: CFG.sendSeconds,
      cpuGroups: stackPids,
      cpuReapers: storeReapers,
      afterLoad: () => waitForQuiet(infra.nats.url, { timeoutMs: 30_000 }),
    });
    return { one, many };
  } finally {
    closePairs(pairs);
  }
}

/** The old two-gateways-vs-one figure: 10 pairs, 1 in flight each, sockets straight at the nodes. */
async function gatewayPairs(chats, senderUrl, receiverUrl) {
  const pairs = await openPairs(chats, senderUrl, receiverUrl);
  try {
    return await measureSends(pairs, { inFlight: 1, total: 2_000, seconds: Math.min(CFG.sendSeconds, 5) });
  } finally {
    closePairs(pairs);
  }
}

// FerretDB's countDocuments reads every document (~20 s for 200,000); the table's count(*) does not.
let pgUrl;
const storedCount = async () =>
  pgUrl ? documentCount(pgUrl, infra.database, 'messages') : store.messages.countDocuments({});

/**
 * The seeded counters as chat-api answers them: `messageCount` (what `/messages` reports as
 * its total) and the unread count of user a (b's messages, the even seqs), for each `{ chat, to }`.
 */
async function checkSeededCounters(edgeUrl, entries) {
  const wrong = [];
  for (const { chat, to } of entries) {
    const res = await api(edgeUrl, tokenFor(chat.a)).get(`/api/chats/${chat.chatId}`);
    const view = res.body?.data;
    if (res.status !== 200 || view?.messageCount !== to || view?.unreadCount !== Math.floor(to / 2))
      wrong.push(`chat ${chat.chatId}: ${res.status} messageCount ${view?.messageCount}, unreadCount ${view?.unreadCount}; seeded ${to} (unread ${Math.floor(to / 2)})`);
  }
  if (wrong.length) throw new Error(`chat-api does not report the seeded counters: ${wrong.join('; ')}`);
  return { checked: entries.length };
}

/** Row c1's figure of a send load (see report.mjs's cpuLines), for the log. */
const logCpu = (r, who) => {
  const c = cpuPerMessageOf(r);
  if (c) log(`  ${who}: ${c.ms.toFixed(2)} ms of CPU per message (${c.messages} messages)`);
};

const logSeeding = (r) =>
  log(`  ${r.written} in ${r.seconds.toFixed(1)} s (${r.perSecond.toFixed(0)}/s), the counters of ${r.chats} chats in ${r.countersSeconds.toFixed(1)} s`);

/** Row 6: nothing of ours is connected; let the event backlog drain, then watch the stack idle. */
async function idleAfterDrain(label) {
  const quiet = await measure(`waiting for the JetStream backlog to drain (${label})`, () => waitForQuiet(infra.nats.url));
  log(`  ${quiet?.settled ? 'drained' : 'NOT drained'} after ${quiet?.seconds.toFixed(0)} s`);
  await sleep(3_000);
  const idle = await measure(`idle CPU for ${CFG.idleSeconds} s, ${label}`, () => idleCpu(stackPids, CFG.idleSeconds));
  return { quiet, idle };
}

// ---- the run -----------------------------------------------------------------------------
let conversation;
const storedAt = {};
async function run() {
  log(`config ${JSON.stringify(CFG)}${SENDS_ONLY ? ', only the send rows' : ''}; database ${infra.mongoUrl}`);
  const chatApi = await spawn('chat-api');
  const messageApi = await spawn('message-api');
  const media = await spawn('media-service');
  const gw1 = await spawn('realtime-gateway', { GATEWAY_NODE_ID: 'gw1' });
  store = await openStore(infra.mongoUrl);
  pgUrl = postgresUrlFor(infra.ferret, infra.mongoUrl);
  if (pgUrl) {
    try {
      await storedCount();
    } catch (err) {
      log(`counting through PostgreSQL failed (${err.message.split('\n')[0]}): countDocuments instead`);
      pgUrl = undefined;
    }
  }

  // The small store: 100 messages in each of the first chats (the read target among them).
  const perChat = Math.ceil(CFG.stored / CFG.chats);
  const firstChats = Math.ceil(CFG.small / perChat);
  // --only sends: the chats of the small store, the send loads and the gateway pairs, no more.
  const seedCount = SENDS_ONLY ? firstChats : CFG.chats;
  const chatCount = seedCount + SEND_CHATS + 2 * GATEWAY_PAIRS + (SENDS_ONLY ? 0 : ABUSER_KINDS.length + 2);
  log(`creating ${chatCount} chats through chat-api`);
  const made = await createChats(chatApi.url, chatCount, { deadlineMs: 150_000 });
  measured.chatCreation = { count: made.chats.length, seconds: made.seconds };
  const seedChats = made.chats.slice(0, seedCount);
  const sendChats = made.chats.slice(seedCount, seedCount + SEND_CHATS);
  const gwChats = made.chats.slice(seedCount + SEND_CHATS, seedCount + SEND_CHATS + 2 * GATEWAY_PAIRS);
  const abuserChats = made.chats.slice(seedCount + SEND_CHATS + 2 * GATEWAY_PAIRS, -2);
  const [bigChat, twinChat] = made.chats.slice(-2);

  // Before the second gateway exists, so the baseline really is one gateway process.
  measured.oneGateway = await measure('messages on 1 gateway process', () => gatewayPairs(gwChats.slice(0, GATEWAY_PAIRS), gw1.url));
  const gw2 = await spawn('realtime-gateway', { GATEWAY_NODE_ID: 'gw2' });
  const edge = await spawn('edge', {
    CHAT_API_URL: chatApi.url,
    MESSAGE_API_URL: messageApi.url,
    MEDIA_SERVICE_URL: media.url,
    GATEWAY_NODES: `gw1=${gw1.url},gw2=${gw2.url}`,
  });
  measured.twoGateways = await measure('messages across 2 gateways', () => gatewayPairs(gwChats.slice(GATEWAY_PAIRS), gw1.url, gw2.url));
  // Those chats are never read again: their messages go, so the small store holds CFG.small.
  await store.messages.deleteMany({ chatId: { $in: gwChats.map((c) => new ObjectId(c.chatId)) } });

  const restChat = seedChats[0];
  const restGet = (url) => async () => {
    const res = await api(url, tokenFor(restChat.a)).get(`/api/chats/${restChat.chatId}`);
    if (res.status !== 200) throw new Error(`GET /api/chats/:id: ${res.status}`);
  };
  const restOpt = { total: 2_000, seconds: 5, concurrency: 10, warmup: 50 };
  if (!SENDS_ONLY) {
    measured.restDirect = await measure('REST straight at chat-api', () => load(restOpt, restGet(chatApi.url)));
    measured.restEdge = await measure('REST through the edge', () => load(restOpt, restGet(edge.url)));
  }

  // Phase 1: the small store.
  const smallTopUp = Math.max(0, CFG.small - (await storedCount()));
  log(`seeding ${smallTopUp} messages`);
  const smallPlan = spread(seedChats.slice(0, firstChats), { perChat, total: smallTopUp });
  await seedMessages(store.db, smallPlan);
  storedAt.small = await storedCount();
  measured.raw1 = await measure('raw insertOne, 1 at a time', () => rawInserts(store.db, { concurrency: 1, total: 5_000, seconds: 6 }));
  measured.raw32 = await measure('raw insertOne, 32 at a time', () => rawInserts(store.db, { concurrency: 32, total: 20_000, seconds: 6 }));
  if (!SENDS_ONLY) measured.readsSmall = await measure(`reads, ${storedAt.small} stored`, () => reads(edge.url, restChat));
  const small = await measure(`sends, ${storedAt.small} stored`, () => sends(edge.url, sendChats));
  [measured.send1Small, measured.send32Small] = [small?.one, small?.many];
  logCpu(measured.send32Small, 'the stack');
  const floor = await measure('the floor: one Socket.IO process that inserts and emits', () =>
    floorSends(sendChats, infra.mongoUrl, { inFlight: SEND_IN_FLIGHT, seconds: CFG.sendSeconds, storeGroups: storePids, storeReapers }),
  );
  [measured.floor1, measured.floor32] = [floor?.one, floor?.many];
  logCpu(measured.floor32, 'the floor');
  if (SENDS_ONLY) return;

  // Phase 2: the large store, topped up to exactly CFG.stored (the sends above stored some),
  // measured as the bulk load left it: no VACUUM or ANALYZE but the store's own.
  const before = await storedCount();
  const topUp = Math.max(0, CFG.stored - before);
  log(`seeding ${topUp} more messages`);
  const rest = seedChats.slice(firstChats);
  const largePlan = spread(rest, { perChat: Math.ceil(topUp / rest.length), total: topUp, firstChatIndex: firstChats });
  measured.seeding = await seedMessages(store.db, largePlan);
  logSeeding(measured.seeding);
  // Counting 200,000 documents takes FerretDB ~20 s; nothing else writes messages meanwhile.
  storedAt.large = before + measured.seeding.written;
  measured.readsLarge = await measure(`reads, ${storedAt.large} stored`, () => reads(edge.url, restChat));
  const large = await measure(`sends, ${storedAt.large} stored`, () => sends(edge.url, sendChats));
  [measured.send1Large, measured.send32Large] = [large?.one, large?.many];
  measured.raw1Large = await measure('raw insertOne, 1 at a time, large store', () => rawInserts(store.db, { concurrency: 1, total: 5_000, seconds: 5 }));
  conversation = await measure('a full conversation across 2 gateways', () => runConversation(edge.url));
  // Row 8: the same 8 × 4 load on an edge and gateways of the phase's own (see abuse.mjs).
  measured.abuse = await measure(`8 × 4 sends, clean and with ${ABUSER_KINDS.length} abusers flooding`, () =>
    abuseDuringLoad({
      spawn,
      stopOne,
      stackPids,
      env,
      upstream: { chatApi, messageApi, media },
      honestChats: sendChats,
      abuserChats,
      honestRate: measured.send32Large?.perSecond ?? measured.send32Small?.perSecond ?? 0,
      load: { inFlight: SEND_IN_FLIGHT, total: 20_000, seconds: CFG.sendSeconds },
    }),
  );
  measured.postgresScope = postgresPidsFor(infra.ferret?.pid).scope;
  ({ quiet: measured.quiet, idle: measured.idle } = await idleAfterDrain(`${storedAt.large} stored`));

  // Phase 3: the second load, to CFG.stored2: the big chat (row 9) and the chat of 100 it is
  // compared with, then, if that is not enough, more messages in the chats of phase 2.
  const bigPlan = CFG.big > 0
    ? [
        { chat: bigChat, chatIndex: CFG.chats, from: 1, to: CFG.big },
        { chat: twinChat, chatIndex: CFG.chats + 1, from: 1, to: SMALL_TWIN },
      ]
    : [];
  const before2 = CFG.big > 0 || CFG.stored2 > storedAt.large ? await storedCount() : 0;
  const more = Math.max(0, CFG.stored2 - before2 - bigPlan.reduce((n, p) => n + p.to, 0));
  const secondPlan = [...bigPlan, ...(more > 0 ? extendPlan(largePlan, { perChat: Math.ceil(more / largePlan.length), total: more }) : [])];
  if (secondPlan.length > 0) {
    log(`seeding ${secondPlan.reduce((n, p) => n + p.to - p.from + 1, 0)} more messages (${CFG.big > 0 ? `a chat of ${CFG.big}, one of ${SMALL_TWIN}, ` : ''}${more} in the chats of phase 2)`);
    const keep = new Map(bigPlan.map((p) => [p.chat.chatId, neededSeqs(p.to, BIG_ROUNDS).all]));
    measured.seeding2 = await seedMessages(store.db, secondPlan, { keep, deadlineMs: 900_000 });
    logSeeding(measured.seeding2);
    measured.seededCounters = await measure('the seeded counters as chat-api reports them', () =>
      checkSeededCounters(edge.url, [...smallPlan.slice(0, 1), ...bigPlan]),
    );
    storedAt.second = before2 + measured.seeding2.written;
    measured.readsSecond = await measure(`reads, ${storedAt.second} stored`, () => reads(edge.url, restChat));
    const second = await measure(`sends, ${storedAt.second} stored`, () => sends(edge.url, sendChats));
    [measured.send1Second, measured.send32Second] = [second?.one, second?.many];
    ({ quiet: measured.quietSecond, idle: measured.idleSecond } = await idleAfterDrain(`${storedAt.second} stored`));
    if (CFG.big > 0)
      measured.bigChat = await measure(`one chat of ${CFG.big} against one of ${SMALL_TWIN}, ${CFG.bigCalls} calls each per row`, () =>
        bigChatRows(
          edge.url,
          {
            big: { chat: bigChat, n: CFG.big, ids: measured.seeding2.ids },
            small: { chat: twinChat, n: SMALL_TWIN, ids: measured.seeding2.ids },
          },
          { calls: CFG.bigCalls, rowSeconds: BIG_ROW_SECONDS, callTimeoutMs: BIG_CALL_TIMEOUT_MS },
        ),
      );
    delete measured.seeding2.ids; // not for the JSON
  }

  // Phase 4, row 10: the soak, between the same reads before and after it, then the dead rows.
  if (CFG.soakMinutes > 0) {
    measured.readsBeforeSoak = await measure('reads before the soak', () => reads(edge.url, restChat));
    measured.soak = await measure(`soak: ${CFG.soakMinutes} min of 8 × 4 sends with edits, reactions and reads`, async () => {
      const pairs = await openPairs(sendChats, edge.url);
      try {
        return await soak(pairs, { inFlight: SEND_IN_FLIGHT, seconds: CFG.soakMinutes * 60 });
      } finally {
        closePairs(pairs);
      }
    });
    if (measured.soak) log(`  ${measured.soak.sent} sent (${measured.soak.perSecond.toFixed(0)}/s), ${measured.soak.edits} edits, ${measured.soak.reactions} reactions, ${measured.soak.reads} reads, ${measured.soak.errors} errors`);
    measured.quietSoak = await measure('waiting for the JetStream backlog to drain after the soak', () => waitForQuiet(infra.nats.url));
    measured.readsAfterSoak = await measure('reads after the soak', () => reads(edge.url, restChat));
    measured.deadRows = await measure('dead and live rows of the collections\' tables', () => {
      const url = pgUrl ?? postgresUrlFor(infra.ferret, infra.mongoUrl);
      if (!url) throw new Error('no PostgreSQL database found behind the store (a real mongod?)');
      return deadRowsAfterLoad(url, infra.database, SOAK_COLLECTIONS, { ratio: DEAD_ROW_RATIO, maxWaitMs: 90_000 });
    });
  }

  // Row 7: a gateway of its own, so the figure is one process holding only these sockets.
  measured.gatewayRss = await measure(`RSS with ${CFG.sockets} sockets on one gateway`, async () => {
    const gw = await spawn('realtime-gateway', { GATEWAY_NODE_ID: 'gwrss' });
    try {
      return await rssPerSocket(gw.process.pid, gw.url, { sockets: CFG.sockets });
    } finally {
      await stopOne(gw);
    }
  });
  measured.bareRss = await measure(`RSS with ${CFG.sockets} sockets on bare socket.io`, () => bareSocketIoRss({ sockets: CFG.sockets }));
}
try {
  await run();
} catch (err) {
  failures.push(`run aborted: ${err.stack ?? err}`);
  log(`ABORTED: ${err.message}`);
} finally {
  await cleanup().catch((err) => log(`cleanup: ${err.message}`));
  clearTimeout(watchdog);
}

// ---- report ------------------------------------------------------------------------------
const labels = {
  small: (storedAt.small ?? CFG.small).toLocaleString('en'),
  large: (storedAt.large ?? CFG.stored).toLocaleString('en'),
  second: (storedAt.second ?? CFG.stored2).toLocaleString('en'),
  big: CFG.big.toLocaleString('en'),
  twin: SMALL_TWIN.toLocaleString('en'),
  soakMinutes: CFG.soakMinutes,
};
const rows = targetRows(measured, labels, {
  second: storedAt.second !== undefined || measured.seeding2 !== undefined || CFG.stored2 > CFG.stored || CFG.big > 0,
  big: CFG.big > 0,
  soak: CFG.soakMinutes > 0,
  only: opts.only,
});
const info = infoRows(measured, { only: opts.only });
const sendRuns = {
  ...Object.fromEntries(['send1Small', 'send32Small', 'send1Large', 'send32Large', 'send1Second', 'send32Second', 'oneGateway', 'twoGateways', 'soak'].map((k) => [k, measured[k]])),
  abuseCleanBefore: measured.abuse?.cleanBefore,
  abuseHonest: measured.abuse?.abused,
  abuseCleanAfter: measured.abuse?.cleanAfter,
};
const sendErrorList = Object.entries(sendRuns).flatMap(([k, r]) => (r?.errorDetails ?? []).map((e) => `${k}: ${e}`));
// The same error many times (a soak's timeouts) is one line with its count.
const sendErrorTimes = new Map();
for (const e of sendErrorList) sendErrorTimes.set(e, (sendErrorTimes.get(e) ?? 0) + 1);
const sendErrors = [...sendErrorTimes].map(([e, n]) => (n > 1 ? `${e} (×${n})` : e));
const sendErrorCount = Object.values(sendRuns).reduce((s, r) => s + (r?.errors ?? 0), 0);
const conversationErrors = SENDS_ONLY ? [] : conversation?.errors ?? ['the conversation did not run'];
const missed = rows.filter((r) => !r.pass).map((r) => r.id);
const pass = missed.length === 0 && conversationErrors.length === 0 && sendErrorCount === 0 && failures.length === 0;
const seconds = (performance.now() - t0) / 1000;

const extra = [
  SENDS_ONLY
    ? `--only sends: ${labels.small} messages stored, ${measured.chatCreation?.count ?? '?'} chats; no other phase ran, so its rows are left out`
    : `stored: ${labels.small} then ${labels.large} messages in ${CFG.chats.toLocaleString('en')} chats${storedAt.second ? `, then ${labels.second}${CFG.big > 0 ? ` with one chat of ${labels.big}` : ''}` : ''}; no VACUUM or ANALYZE but the store's own`,
  ...cpuLines(measured, labels),
  ...(SENDS_ONLY
    ? []
    : [
        ...seedingLines(measured),
        `idle CPU by group (s), ${labels.large} stored: ${idleGroups(measured.idle)}${measured.idleSecond ? `; ${labels.second} stored: ${idleGroups(measured.idleSecond)}` : ''}`,
        ...bigChatLines(measured.bigChat, CFG),
        ...abuseLines(measured.abuse),
        ...soakLines(measured, CFG),
      ]),
  `send errors: ${sendErrorCount}${sendErrors.length ? `\n  ${sendErrors.join('\n  ')}` : ''}`,
  ...(SENDS_ONLY
    ? []
    : [`conversation across gateways ${conversation?.nodes?.join(' + ') ?? '?'}: ${conversationErrors.length} error(s)${conversationErrors.length ? `\n  ${conversationErrors.join('\n  ')}` : ''}`]),
  ...(failures.length ? [`measurements that failed: ${failures.length}`, ...failures.map((f) => `  ${f.split('\n').slice(0, 3).join('\n    ')}`)] : []),
  `load average at start / end: ${loadAtStart.join(' ')} / ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews every figure)`,
];
printTable(rows, info, extra);
const file = writeJson(opts.out, startedAt, {
  startedAt: startedAt.toISOString(),
  seconds,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAtStart, loadAtEnd: loadavg() },
  config: { ...CFG, only: opts.only ?? null },
  stored: storedAt,
  rows,
  info,
  pass,
  missed,
  sendErrors: { count: sendErrorCount, details: sendErrors },
  conversation: { errors: conversationErrors, nodes: conversation?.nodes },
  failures,
  measured,
});
console.log(`${pass ? 'all targets met' : `missed: ${[...missed, ...(conversationErrors.length ? ['conversation'] : []), ...(sendErrorCount ? ['send errors'] : []), ...(failures.length ? ['failed measurements'] : [])].join(', ')}`}; results in ${file}; run took ${seconds.toFixed(0)} s`);
if (opts.strict && !pass) process.exitCode = 1;
