import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Server as SocketServer } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { createLogger, listen, parseConfig } from '@chat/platform';
import { api, freePort } from '@chat/testkit';
import { edgeConfigSchema } from '../src/config.js';
import { startEdge, type RunningEdge } from '../src/app.js';

/** An upstream that answers with its own name and the path it received. */
async function namedUpstream(name: string) {
  const { server, port } = await listen(
    (req: any, res: any) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name, path: req.url, method: req.method }));
    },
    0,
    '127.0.0.1',
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

/** A Socket.IO node whose session ids carry its node id, as realtime-gateway's do. */
async function socketNode(nodeId: string) {
  const http: Server = createServer();
  const io = new SocketServer(http);
  io.engine.generateId = () => `${nodeId}.${randomBytes(15).toString('base64url')}`;
  io.on('connection', (socket) => socket.on('whoami', (ack: (id: string) => void) => ack(nodeId)));
  const port = await freePort();
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  return { io, http, url: `http://127.0.0.1:${port}` };
}

describe('edge routing', () => {
  let edge: RunningEdge;
  let base: string;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    const [chat, message, media] = await Promise.all(['chat-api', 'message-api', 'media-service'].map(namedUpstream));
    const [gw1, gw2] = await Promise.all([socketNode('gw1'), socketNode('gw2')]);
    closers.push(
      () => chat!.server.close(),
      () => message!.server.close(),
      () => media!.server.close(),
      () => gw1.io.close(),
      () => gw2.io.close(),
    );
    const config = parseConfig(edgeConfigSchema, {
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      CHAT_API_URL: chat!.url,
      MESSAGE_API_URL: message!.url,
      MEDIA_SERVICE_URL: media!.url,
      GATEWAY_NODES: `gw1=${gw1.url},gw2=${gw2.url}`,
    });
    edge = await startEdge(config, createLogger('edge', 'silent'));
    base = `http://127.0.0.1:${edge.port}`;
  });

  afterAll(async () => {
    await edge.close();
    closers.forEach((c) => c());
  });

  it('serves /metrics on its internal port only, never on the public one', async () => {
    expect((await api(base).get('/metrics')).status).toBe(404);
    const internal = await fetch(`http://127.0.0.1:${edge.internalPort}/metrics`);
    expect(internal.status).toBe(200);
    expect(await internal.text()).toMatch(/^# HELP /m);
  });

  it.each([
    ['/api/chats/abc/messages?limit=5', 'message-api'],
    ['/api/chats/abc/search?q=x', 'message-api'],
    ['/api/chats/abc/changes?since=0', 'message-api'],
    ['/api/chats/requests', 'chat-api'],
    ['/api/chats/abc', 'chat-api'],
    ['/api/chats/user/abc/history', 'chat-api'],
    ['/api/media/get-upload-token', 'media-service'],
    ['/api/media/files/x.png', 'media-service'],
  ])('routes %s to %s with the path unchanged', async (path, upstream) => {
    const res = await api(base).get(path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ upstream, path, method: 'GET' });
  });

  it('does not route look-alike paths to message-api', async () => {
    const res = await api(base).get('/api/chats/abc/messagesX');
    expect(res.body.upstream).toBe('chat-api');
  });

  it('answers unknown paths itself with 404 in the API error shape', async () => {
    const res = await api(base).get('/api/users');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 404 });
  });

  it('keeps long-polling sessions on the node that owns them, across two nodes', async () => {
    // Without session-id routing, round-robin would send every other poll to the wrong node.
    const clients = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<ReturnType<typeof connectClient>>((resolve, reject) => {
            const c = connectClient(base, { transports: ['polling'], forceNew: true, reconnection: false });
            c.once('connect', () => resolve(c));
            c.once('connect_error', reject);
          }),
      ),
    );
    const owners = await Promise.all(clients.map((c) => c.timeout(3000).emitWithAck('whoami')));
    expect(new Set(owners)).toEqual(new Set(['gw1', 'gw2']));
    clients.forEach((c, i) => expect(c.io.engine.id.startsWith(`${owners[i]}.`)).toBe(true));
    clients.forEach((c) => c.close());
  });

  it('upgrades polling sessions to WebSocket through the edge', async () => {
    const c = connectClient(base, { forceNew: true, reconnection: false });
    await new Promise<void>((resolve) => c.io.engine.once('upgrade', () => resolve()));
    expect(c.io.engine.transport.name).toBe('websocket');
    expect(await c.timeout(3000).emitWithAck('whoami')).toMatch(/^gw[12]$/);
    c.close();
  });
});

describe('edge with an upstream down', () => {
  it('answers 503 in the API error shape', async () => {
    const deadPort = await freePort();
    const config = parseConfig(edgeConfigSchema, {
      PORT: '0',
      METRICS_PORT: '0',
      CHAT_API_URL: `http://127.0.0.1:${deadPort}`,
      GATEWAY_NODES: `http://127.0.0.1:${deadPort}`,
    });
    const edge = await startEdge(config, createLogger('edge', 'silent'));
    const res = await api(`http://127.0.0.1:${edge.port}`).get('/api/chats/requests');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 503, message: 'chat-api is unavailable, try again' });
    await edge.close();
  });
});
