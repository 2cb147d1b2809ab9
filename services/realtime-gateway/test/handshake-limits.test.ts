import { request, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { connectSocket, newUserId, spawnService, tokenFor, type SpawnedService } from '@chat/testkit';
import { startFakeCluster, type FakeCluster } from './support/fake-cluster.js';

/** The attacker's own address: loopback, but not the edge's (127.0.0.1), which the gateways trust. */
const ATTACKER = '127.0.0.5';

/** A raw HTTP GET (no socket.io-client) from `from`, answering status and body; `timeoutMs` bounds it. */
function get(
  url: string,
  opts: { from?: string; headers?: Record<string, string>; agent?: Agent; timeoutMs?: number } = {},
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      { localAddress: opts.from, headers: opts.headers, agent: opts.agent, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const randomIp = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';

describe('realtime-gateway: handshakes cost little until a token is shown', () => {
  let cluster: FakeCluster<'gw' | 'small'>;
  let edge: SpawnedService;
  const sockets: Socket[] = [];
  const track = (s: Socket) => (sockets.push(s), s);

  beforeAll(async () => {
    cluster = await startFakeCluster({
      // Only the edge may set X-Forwarded-For, so an address named in a client's own header counts for nothing.
      gw: {
        TRUST_PROXY: '127.0.0.1',
        SOCKET_HANDSHAKES_PER_ADDRESS: '20',
        SOCKET_HANDSHAKE_WINDOW_S: '60',
        SOCKET_CONNECT_TIMEOUT_MS: '1000',
      },
      small: { SOCKET_MAX_SESSIONS_PER_NODE: '5', SOCKET_CONNECT_TIMEOUT_MS: '1000' },
    });
    const { gw } = cluster.nodes;
    edge = await spawnService('edge', {
      ...cluster.infra.env,
      CHAT_API_URL: gw.url,
      MESSAGE_API_URL: gw.url,
      MEDIA_SERVICE_URL: gw.url,
      GATEWAY_NODES: `gw=${gw.url}`,
    });
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await edge?.stop();
    await cluster?.close();
  });

  it('500 token-less long-polling handshakes from one address through the edge: most refused, the rest closed within seconds, an honest user still connects', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    // Each with a made-up X-Forwarded-For: the gateway keys on the address the edge saw.
    const answers = await Promise.all(
      Array.from({ length: 500 }, () =>
        get(`${edge.url}${HANDSHAKE}`, { from: ATTACKER, agent, headers: { 'x-forwarded-for': randomIp() } }),
      ),
    );
    const opened = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 403);
    expect(opened.length + refused.length).toBe(500);
    expect(opened.length).toBeLessThanOrEqual(20);
    expect(refused.length).toBeGreaterThanOrEqual(480);
    expect(JSON.parse(refused[0]!.body)).toMatchObject({
      message: expect.stringMatching(/Too many handshakes from your address/),
    });

    // Meanwhile, another client (another address) connects with its token, by long-polling and by WebSocket.
    const honest = newUserId();
    const polling = track(await connectSocket(edge.url, tokenFor(honest), { transports: ['polling'] }));
    const ws = track(await connectSocket(edge.url, tokenFor(honest)));
    expect(polling.connected && ws.connected).toBe(true);

    // The sessions opened never sent a CONNECT with a token: each long-poll ends with the close
    // packet ("1") once the connect timeout (1 s here) passes, and the session is gone.
    const sids = opened.map((a) => (JSON.parse(a.body.slice(1)) as { sid: string }).sid);
    const polls = await Promise.all(
      sids.map((sid) =>
        get(`${edge.url}${HANDSHAKE}&sid=${encodeURIComponent(sid)}`, { from: ATTACKER, agent, timeoutMs: 8_000 }),
      ),
    );
    for (const poll of polls) expect(poll.status === 400 || poll.body.endsWith('1')).toBe(true);
    const after = await Promise.all(
      sids.map((sid) => get(`${edge.url}${HANDSHAKE}&sid=${encodeURIComponent(sid)}`, { from: ATTACKER, agent })),
    );
    expect(after.map((a) => a.status)).toEqual(sids.map(() => 400));
    // The attacker's address stays refused for the window; the honest sockets were never touched.
    expect((await get(`${edge.url}${HANDSHAKE}`, { from: ATTACKER })).status).toBe(403);
    expect(polling.connected && ws.connected).toBe(true);
    agent.destroy();
  });

  it('a handshake that authenticates gives its point back: many users behind one address connect past the limit', async () => {
    // Through the edge from 127.0.0.1 (the honest side above): 30 users, more than the 20 unauthenticated handshakes allowed.
    for (let i = 0; i < 30; i++)
      track(await connectSocket(edge.url, tokenFor(newUserId()), { transports: ['polling'] }));
  });

  it('a node refuses new sessions past SOCKET_MAX_SESSIONS_PER_NODE, and takes them again once sessions close', async () => {
    const { small } = cluster.nodes;
    const opened = await Promise.all(Array.from({ length: 5 }, () => get(`${small.url}${HANDSHAKE}`)));
    expect(opened.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const full = await get(`${small.url}${HANDSHAKE}`);
    expect(full.status).toBe(403);
    expect(JSON.parse(full.body)).toMatchObject({ message: 'This node is full, try again' });
    await expect(connectSocket(small.url, tokenFor(newUserId()))).rejects.toThrow();
    // The five never authenticate: the connect timeout closes them and the node has room again.
    await expect
      .poll(async () => (await get(`${small.url}${HANDSHAKE}`)).status, { timeout: 8_000, interval: 250 })
      .toBe(200);
  });
});

describe('realtime-gateway: the per-user socket cap holds under a race', () => {
  let cluster: FakeCluster<'a' | 'b'>;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const env = { SOCKET_MAX_PER_USER: '20' };
    cluster = await startFakeCluster({ a: env, b: env });
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await cluster?.close();
  });

  it('40 simultaneous handshakes with one token on two nodes end with at most 20 connected; the others are refused, and the slots come back', async () => {
    const user = newUserId();
    const token = tokenFor(user);
    const { a, b } = cluster.nodes;
    const race = async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => connectSocket(i % 2 === 0 ? a.url : b.url, token)),
      );
      const connected = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      sockets.push(...connected);
      const refusals = results.flatMap((r) =>
        r.status === 'rejected' ? [r.reason as Error & { data?: unknown }] : [],
      );
      return { connected, refusals };
    };

    const first = await race();
    expect(first.connected.length).toBeLessThanOrEqual(20);
    expect(first.connected.length).toBeGreaterThan(0);
    for (const refusal of first.refusals) {
      expect(refusal.message).toMatch(/Too many connections: at most 20 per user/);
      expect(refusal.data).toEqual({ code: 'RATE_LIMITED' });
    }
    expect(a.socketCount() + b.socketCount()).toBe(first.connected.length);

    // Refused handshakes hold no slot, and closed sockets give theirs back: once all are gone, a
    // second race gets as far as the first.
    first.connected.forEach((s) => s.close());
    await expect.poll(() => a.socketCount() + b.socketCount(), { timeout: 5_000 }).toBe(0);
    const second = await race();
    expect(second.connected.length).toBe(first.connected.length);
    expect(second.connected.length).toBeLessThanOrEqual(20);
  });
});
