import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import {
  api,
  emitAck,
  newUserId,
  nextEvent,
  spawnService,
  startTestInfra,
  tokenFor,
  type SpawnedService,
  type TestInfra,
} from '@chat/testkit';

const slow = { readyTimeoutMs: 45_000 };
const NODES = ['realtime-gateway-0', 'realtime-gateway-1', 'realtime-gateway-2'];

/**
 * Three gateway nodes behind one edge, as a StatefulSet of three runs: long-polling clients
 * (every request routed back to the node holding the session) and WebSocket clients land on
 * all three, and each pair of users on different nodes exchanges messages both ways.
 */
describe('three gateway nodes behind one edge', () => {
  let infra: TestInfra;
  const services: SpawnedService[] = [];
  const sockets: Socket[] = [];
  let edge: string;

  beforeAll(async () => {
    infra = await startTestInfra();
    const started = await Promise.all([
      spawnService('chat-api', infra.env, slow),
      spawnService('message-api', infra.env, slow),
      ...NODES.map((id) => spawnService('realtime-gateway', { ...infra.env, GATEWAY_NODE_ID: id }, slow)),
    ]);
    services.push(...started);
    const [chat, message, ...gateways] = started;
    const edgeService = await spawnService('edge', {
      ...infra.env,
      CHAT_API_URL: chat!.url,
      MESSAGE_API_URL: message!.url,
      MEDIA_SERVICE_URL: chat!.url,
      GATEWAY_NODES: gateways.map((g, i) => `${NODES[i]}=${g.url}`).join(','),
    });
    services.push(edgeService);
    edge = edgeService.url;
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(services.map((s) => s.stop()));
    await infra.stop();
  });

  const connect = (userId: string, transport: 'polling' | 'websocket') =>
    new Promise<Socket>((resolve, reject) => {
      const s = io(edge, { auth: { token: tokenFor(userId) }, transports: [transport], forceNew: true, reconnection: false });
      sockets.push(s);
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  const nodeOf = (s: Socket) => s.io.engine.id.split('.')[0];

  it('long-polling and WebSocket clients on all three nodes exchange messages', async () => {
    const users = Array.from({ length: 6 }, () => newUserId());
    const clients: Socket[] = [];
    // One at a time, so the edge deals new sessions round-robin: polling and WebSocket on every node.
    for (const [i, user] of users.entries()) clients.push(await connect(user, i % 2 === 0 ? 'polling' : 'websocket'));
    expect(new Set(clients.map(nodeOf))).toEqual(new Set(NODES));
    for (const transport of ['polling', 'websocket']) {
      const nodes = clients.filter((c) => c.io.engine.transport.name === transport).map(nodeOf);
      expect(new Set(nodes).size, `${transport} clients on every node`).toBe(3);
    }

    for (let pair = 0; pair < 3; pair++) {
      const [a, b] = [users[2 * pair]!, users[2 * pair + 1]!];
      const [sa, sb] = [clients[2 * pair]!, clients[2 * pair + 1]!];
      const created = await api(edge, tokenFor(a)).post('/api/chats/or-create', { recipientId: b });
      const chatId = created.body.data._id as string;
      expect((await api(edge, tokenFor(b)).post(`/api/chats/${chatId}/accept`)).status).toBe(200);
      for (const s of [sa, sb]) expect((await emitAck(s, 'join_chat', { chatId })).ok).toBe(true);
      for (const [from, to, text] of [
        [sa, sb, `from ${nodeOf(sa)} to ${nodeOf(sb)}`],
        [sb, sa, `from ${nodeOf(sb)} to ${nodeOf(sa)}`],
      ] as const) {
        const received = nextEvent<{ content: string }>(to, 'message_received', 5_000, (m) => m.content === text);
        expect((await emitAck(from, 'send_message', { chatId, content: text })).ok).toBe(true);
        expect((await received).content).toBe(text);
      }
    }
  }, 60_000);
});
