import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Server as SocketServer } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { createLogger, listen, parseConfig } from '@chat/platform';
import { freePort } from '@chat/testkit';
import { edgeConfigSchema } from '../src/config.js';
import { startEdge, type RunningEdge } from '../src/app.js';

/** media-service as the edge sees it: answers a file download with some bytes. */
async function fileServer() {
  const { server, port } = await listen(
    (_req: any, res: any) => {
      res.setHeader('content-type', 'image/png');
      res.end('png bytes');
    },
    0,
    '127.0.0.1',
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

/** A Socket.IO node whose session ids carry its node id, as realtime-gateway's do. */
async function socketNode(nodeId: string) {
  const http = createServer();
  const io = new SocketServer(http);
  io.engine.generateId = () => `${nodeId}.${randomBytes(15).toString('base64url')}`;
  io.on('connection', (socket) => socket.on('ping_me', (ack: (v: string) => void) => ack('pong')));
  const port = await freePort();
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  return { io, url: `http://127.0.0.1:${port}` };
}

describe("the edge's request logs hold no credentials", () => {
  const lines: string[] = [];
  let edge: RunningEdge;
  let base: string;
  let files: Awaited<ReturnType<typeof fileServer>>;
  let gw1: Awaited<ReturnType<typeof socketNode>>;

  beforeAll(async () => {
    [files, gw1] = await Promise.all([fileServer(), socketNode('gw1')]);
    const config = parseConfig(edgeConfigSchema, {
      PORT: '0',
      METRICS_PORT: '0',
      CHAT_API_URL: files.url,
      MESSAGE_API_URL: files.url,
      MEDIA_SERVICE_URL: files.url,
      GATEWAY_NODES: `gw1=${gw1.url}`,
    });
    // The edge's own logger, as launchService makes it, writing into `lines` instead of stdout.
    const logger = createLogger('edge', 'info', { write: (line: string) => void lines.push(line) });
    edge = await startEdge(config, logger);
    base = `http://127.0.0.1:${edge.port}`;
  });

  afterAll(async () => {
    await edge?.close();
    files?.server.close();
    gw1?.io.close();
  });

  const requestLogs = () => lines.filter((l) => l.includes('"req":'));

  it('logs a file download without the file name, the one key to the file', async () => {
    const name = `${randomBytes(16).toString('hex')}.png`;
    const res = await fetch(`${base}/api/media/files/${name}?download=1`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const logged = await vi.waitFor(() => {
      const found = requestLogs().filter((l) => l.includes('/api/media/files/'));
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    expect(logged.join('\n')).toContain('"url":"/api/media/files/[Redacted]?download=1"');
    expect(lines.join('\n')).not.toContain(name.slice(0, 32));
  });

  it('logs a page opened from a file without the file name in its Referer', async () => {
    const name = randomBytes(16).toString('hex');
    await fetch(`${base}/favicon.ico`, {
      headers: { referer: `https://chat.example.com/api/media/files/${name}.png` },
    });
    await vi.waitFor(() => expect(requestLogs().some((l) => l.includes('/favicon.ico'))).toBe(true));
    expect(requestLogs().find((l) => l.includes('/favicon.ico'))).toContain(
      '"referer":"https://chat.example.com/api/media/files/[Redacted]"',
    );
    expect(lines.join('\n')).not.toContain(name);
  });

  it('logs Socket.IO long-polling requests without the session id', async () => {
    const client = connectClient(base, { transports: ['polling'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    });
    const sid = client.io.engine.id as string;
    expect(await client.timeout(3000).emitWithAck('ping_me')).toBe('pong');
    client.close();
    const polls = await vi.waitFor(() => {
      const found = requestLogs().filter((l) => l.includes('/socket.io/') && l.includes('sid='));
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    for (const line of polls) {
      expect(line).toContain('sid=[Redacted]');
      expect(JSON.parse(line).req.query.sid).toBe('[Redacted]');
    }
    expect(lines.join('\n')).not.toContain(sid.slice(sid.indexOf('.') + 1));
  });
});
