import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';
import {
  api,
  connectSocket,
  emitAck,
  newUserId,
  nextEvent,
  spawnService,
  startTestInfra,
  tokenFor,
  type SpawnedService,
  type TestInfra,
} from '@chat/testkit';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { traceWaterfallSvg } from './support/trace-picture.js';

const PICTURE = fileURLToPath(new URL('../../../docs/trace-of-one-message.svg', import.meta.url));
const slow = { readyTimeoutMs: 60_000 };

/** A MongoDB command's span (the stable conventions' name of the attribute, or the older one). */
const isStore = (s: ReceivedSpan) => (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'mongodb';

/** Waits for `find` to find something (spans come in batches, every 100 ms). */
async function until<T>(what: string, find: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 100))) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
  }
}

/**
 * The spans of trace `id` and of the traces linked with it: those its spans link to (the
 * socket's upgrade at the edge) and those whose spans link to it (the consumers of its events).
 */
function connected(spans: ReceivedSpan[], id: string): ReceivedSpan[] {
  const traces = new Set([id]);
  for (const s of spans)
    for (const l of s.links) {
      if (s.traceId === id) traces.add(l.traceId);
      if (l.traceId === id) traces.add(s.traceId);
    }
  return spans.filter((s) => traces.has(s.traceId));
}

/**
 * The whole stack as processes (edge, chat-api, message-api, two gateway nodes), every one
 * exporting spans over OTLP/HTTP to a receiver in this test, all of them sampled.
 */
describe('one message traced across every service', () => {
  let receiver: OtlpReceiver;
  let infra: TestInfra;
  const running: SpawnedService[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    infra = await startTestInfra();
    const traced = {
      ...infra.env,
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const gateway = (id: string) =>
      spawnService(
        'realtime-gateway',
        { ...traced, GATEWAY_NODE_ID: id, OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${id}` },
        slow,
      );
    const [chat, message, gw1, gw2] = await Promise.all([
      spawnService('chat-api', traced, slow),
      spawnService('message-api', traced, slow),
      gateway('gw1'),
      gateway('gw2'),
    ]);
    running.push(chat, message, gw1, gw2);
    const edge = await spawnService('edge', {
      ...traced,
      CHAT_API_URL: chat.url,
      MESSAGE_API_URL: message.url,
      MEDIA_SERVICE_URL: 'http://127.0.0.1:1',
      GATEWAY_NODES: `gw1=${gw1.url},gw2=${gw2.url}`,
    });
    running.push(edge);
  }, 120_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
    await infra?.stop();
    await receiver?.stop();
  });

  it('a send_message from a socket on one gateway node to a receiver on the other is one connected trace: edge, both nodes, message-api and the store, with the chat id and no content', async () => {
    const [gw1, gw2, edge] = [running[2], running[3], running[4]] as SpawnedService[];
    const alice = newUserId();
    const bob = newUserId();
    const created = await api(edge.url, tokenFor(alice)).post('/api/chats/or-create', { recipientId: bob });
    expect(created.status).toBe(201);
    const chatId: string = created.body.data._id;
    expect((await api(edge.url, tokenFor(bob)).post(`/api/chats/${chatId}/accept`)).status).toBe(200);

    // Alice through the edge (its WebSocket upgrade proxied), Bob straight on the other node.
    const a = await connectSocket(edge.url, tokenFor(alice));
    sockets.push(a);
    const nodeA = a.io.engine.id.split('.')[0] as 'gw1' | 'gw2';
    const nodeB = nodeA === 'gw1' ? 'gw2' : 'gw1';
    const b = await connectSocket((nodeB === 'gw1' ? gw1 : gw2).url, tokenFor(bob));
    sockets.push(b);
    expect((await emitAck(a, 'join_chat', { chatId })).ok).toBe(true);
    expect((await emitAck(b, 'join_chat', { chatId })).ok).toBe(true);

    const secret = `words nobody may trace ${randomUUID()}`;
    const received = nextEvent(b, 'message_received');
    const ack = await emitAck(a, 'send_message', { chatId, content: secret });
    expect(ack).toMatchObject({ ok: true, messageId: expect.any(String) });
    expect((await received).content).toBe(secret);

    const spans = receiver.spans;
    const on = (service: string, name: string, instance?: string) =>
      spans.find(
        (s) =>
          s.service === service &&
          s.name === name &&
          s.attributes['chat.id'] === chatId &&
          (!instance || s.instance === instance),
      );
    const sent = await until(`${nodeA}'s send_message span`, () => on('realtime-gateway', 'send_message', nodeA));
    const reached = (what: string, test: (s: ReceivedSpan) => boolean) =>
      until(what, () => connected(spans, sent.traceId).find(test));
    await reached(`${nodeB}'s emit`, (s) => s.instance === nodeB && s.name === 'emit message_received');
    await reached('a store span', (s) => s.service === 'message-api' && isStore(s));
    await reached("the edge's span", (s) => s.service === 'edge');
    await reached("chat-api's consumer span", (s) => s.service === 'chat-api' && s.kind === 'consumer');
    const trace = connected(spans, sent.traceId);

    // Every service had a part; the receiving node's emit is in the message's own trace.
    expect(new Set(trace.map((s) => (s.instance ? `${s.service} ${s.instance}` : s.service)))).toEqual(
      new Set(['edge', `realtime-gateway ${nodeA}`, `realtime-gateway ${nodeB}`, 'message-api', 'chat-api']),
    );
    const emitted = trace.find((s) => s.instance === nodeB && s.name === 'emit message_received') as ReceivedSpan;
    expect(emitted.traceId).toBe(sent.traceId);
    expect(emitted.attributes['chat.id']).toBe(chatId);

    // A request's handler is a child of its caller's span; the use case and the store below it.
    const request = trace.find((s) => s.instance === nodeA && s.name === 'request message.send') as ReceivedSpan;
    const handled = trace.find((s) => s.service === 'message-api' && s.name === 'handle message.send') as ReceivedSpan;
    expect(request.parentSpanId).toBe(sent.spanId);
    expect(handled.parentSpanId).toBe(request.spanId);
    const useCase = on('message-api', 'use case send_message') as ReceivedSpan;
    expect(useCase.parentSpanId).toBe(handled.spanId);
    expect(useCase.attributes['message.id']).toBe(ack.messageId);
    const batch = trace.find((s) => s.name === 'write batch' && s.parentSpanId === useCase.spanId) as ReceivedSpan;
    const stored = trace.filter((s) => isStore(s) && s.parentSpanId === batch?.spanId);
    expect(stored.map((s) => `${s.attributes['db.operation.name']} ${s.attributes['db.collection.name']}`)).toContain(
      'insert messages',
    );

    // A JetStream consumer's span is a trace of its own, linked to the publish of the event.
    const published = trace.find((s) => s.service === 'message-api' && s.kind === 'producer') as ReceivedSpan;
    const consumed = trace.find((s) => s.service === 'chat-api' && s.kind === 'consumer') as ReceivedSpan;
    expect(consumed.traceId).not.toBe(sent.traceId);
    expect(consumed.links).toContainEqual({ traceId: published.traceId, spanId: published.spanId });

    // The socket's events link to the edge's span of its upgrade.
    const upgrade = trace.find((s) => s.service === 'edge' && s.name === 'proxy socket.io upgrade') as ReceivedSpan;
    expect(sent.links.map((l) => l.traceId)).toContain(upgrade.traceId);

    // No message content anywhere: not in an attribute, not in a span name, not in any export.
    expect(receiver.bodies.some((body) => body.includes(secret.slice(-36)))).toBe(false);
    expect(receiver.bodies.length).toBeGreaterThan(0);

    // Log lines written inside a span carry its ids.
    const logged = (s: SpawnedService) =>
      s
        .output()
        .split('\n')
        .flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : []));
    const withTrace = running.flatMap(logged).filter((l) => typeof l.trace_id === 'string');
    const spanIds = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
    expect(withTrace.some((l) => spanIds.has(`${l.trace_id}/${l.span_id}`))).toBe(true);

    // UPDATE_TRACE_PICTURE=1 redraws the picture in docs/ (never in CI: the tree stays clean).
    if (process.env.UPDATE_TRACE_PICTURE === '1')
      writeFileSync(
        PICTURE,
        traceWaterfallSvg(trace, sent.traceId, 'One send_message: gateway node A → message-api → store → node B'),
      );
  }, 60_000);
});
