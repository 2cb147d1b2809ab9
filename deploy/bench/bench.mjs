#!/usr/bin/env node
// The runnable benchmark: measures, in one run, each configuration against a baseline measured
// in that same run, and prints ratios (absolute numbers vary by machine; ratios travel).
//   1. REST: GET /api/chats/:id straight at chat-api (baseline) vs through the edge.
//   2. Messaging: N pairs exchanging messages with one gateway node (baseline) vs two nodes
//      (sender and receiver on different nodes, so every message crosses the Redis adapter).
// Only loopback addresses are used; every loop is bounded in count and time.
// Usage: npm run build && node deploy/bench/bench.mjs [--pairs 20] [--messages 50] [--requests 2000]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startTestInfra, spawnService, tokenFor, newUserId, api, connectSocket } from '@chat/testkit';

const { values: opts } = parseArgs({
  options: {
    pairs: { type: 'string', default: '20' },
    messages: { type: 'string', default: '50' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '20' },
  },
});
const PAIRS = Number(opts.pairs);
const MESSAGES = Number(opts.messages);
const REQUESTS = Number(opts.requests);
const CONCURRENCY = Number(opts.concurrency);
const DEADLINE_MS = 120_000;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (latencies, elapsedMs) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { count: sorted.length, perSecond: (sorted.length / elapsedMs) * 1000, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
};

/** Runs `total` calls of `fn` with `concurrency` in flight; returns per-call latencies. */
async function load(total, concurrency, fn) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total && performance.now() - started < DEADLINE_MS) {
      const i = next++;
      const t0 = performance.now();
      await fn(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summary(latencies, performance.now() - started);
}

async function acceptedChat(chatApiUrl) {
  const a = newUserId();
  const b = newUserId();
  const created = await api(chatApiUrl, tokenFor(a)).post('/api/chats/or-create', { recipientId: b });
  if (created.status !== 201) throw new Error(`or-create failed: ${created.status} ${JSON.stringify(created.body)}`);
  const chatId = created.body.data._id;
  const accepted = await api(chatApiUrl, tokenFor(b)).post(`/api/chats/${chatId}/accept`);
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status}`);
  return { a, b, chatId };
}

/** Every pair sends MESSAGES messages a->b; latency = send to message_received at b. */
async function messaging(gatewayUrls, chats) {
  const sockets = [];
  const latencies = [];
  const started = performance.now();
  await Promise.all(
    chats.map(async ({ a, b, chatId }, i) => {
      const sender = await connectSocket(gatewayUrls[i % gatewayUrls.length], tokenFor(a));
      const receiver = await connectSocket(gatewayUrls[(i + 1) % gatewayUrls.length], tokenFor(b));
      sockets.push(sender, receiver);
      await sender.timeout(5000).emitWithAck('join_chat', { chatId });
      await receiver.timeout(5000).emitWithAck('join_chat', { chatId });
      const sentAt = new Map();
      const done = new Promise((resolve) => {
        let received = 0;
        receiver.on('message_received', (m) => {
          const t0 = sentAt.get(m.clientMessageId);
          if (t0 !== undefined) latencies.push(performance.now() - t0);
          if (++received === MESSAGES) resolve();
        });
      });
      for (let n = 0; n < MESSAGES && performance.now() - started < DEADLINE_MS; n++) {
        const clientMessageId = `${chatId}-${n}`;
        sentAt.set(clientMessageId, performance.now());
        await sender.timeout(5000).emitWithAck('send_message', { chatId, content: `message ${n}`, clientMessageId });
      }
      await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    }),
  );
  const result = summary(latencies, performance.now() - started);
  sockets.forEach((s) => s.close());
  return result;
}

const row = (name, r, base) =>
  `${name.padEnd(34)} ${String(r.count).padStart(6)} ${r.perSecond.toFixed(0).padStart(8)}/s ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)}   x${(r.perSecond / base.perSecond).toFixed(2)} throughput, x${(r.p95 / base.p95).toFixed(2)} p95`;

const infra = await startTestInfra();
const env = { ...infra.env, LOG_LEVEL: 'warn', SOCKET_RATE_LIMIT_POINTS: '100000' };
const running = [];
try {
  const spawn = async (name, extra = {}) => {
    const s = await spawnService(name, { ...env, ...extra });
    running.push(s);
    return s;
  };
  const chatApi = await spawn('chat-api');
  const messageApi = await spawn('message-api');
  await spawn('media-service');
  const gw1 = await spawn('realtime-gateway', { GATEWAY_NODE_ID: 'gw1' });
  const gw2 = await spawn('realtime-gateway', { GATEWAY_NODE_ID: 'gw2' });
  const edge = await spawn('edge', {
    CHAT_API_URL: chatApi.url,
    MESSAGE_API_URL: messageApi.url,
    MEDIA_SERVICE_URL: running[2].url,
    GATEWAY_NODES: `gw1=${gw1.url},gw2=${gw2.url}`,
  });

  const { a, chatId } = await acceptedChat(chatApi.url);
  const token = tokenFor(a);
  const direct = await load(REQUESTS, CONCURRENCY, () => api(chatApi.url, token).get(`/api/chats/${chatId}`));
  const viaEdge = await load(REQUESTS, CONCURRENCY, () => api(edge.url, token).get(`/api/chats/${chatId}`));

  const chats = [];
  for (let i = 0; i < PAIRS * 2; i++) chats.push(await acceptedChat(chatApi.url));
  const oneNode = await messaging([gw1.url], chats.slice(0, PAIRS));
  const twoNodes = await messaging([gw1.url, gw2.url], chats.slice(PAIRS));

  console.log(`\nbenchmark: ${REQUESTS} requests x ${CONCURRENCY} concurrent; ${PAIRS} pairs x ${MESSAGES} messages (latencies in ms)`);
  console.log(`${'scenario'.padEnd(34)} ${'count'.padStart(6)} ${'rate'.padStart(10)} ${'p50'.padStart(8)} ${'p95'.padStart(8)}   vs baseline`);
  console.log(row('REST direct to chat-api (baseline)', direct, direct));
  console.log(row('REST through the edge', viaEdge, direct));
  console.log(row('messages, 1 gateway (baseline)', oneNode, oneNode));
  console.log(row('messages, 2 gateways, cross-node', twoNodes, oneNode));
} finally {
  await Promise.all(running.map((s) => s.stop()));
  await infra.stop();
}
