import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen, parseConfig } from '@chat/platform';
import { api } from '@chat/testkit';
import { edgeConfigSchema } from '../src/config.js';
import { startEdge, type RunningEdge } from '../src/app.js';

/** Answers every request with its own name and the path it received, as a service behind the edge would. */
async function namedUpstream(name: string) {
  const { server, port } = await listen(
    (req: any, res: any) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name, path: req.url }));
    },
    0,
    '127.0.0.1',
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

describe('the public host serves the API, /api/docs, the page and the files, nothing else', () => {
  const webDir = mkdtempSync(join(tmpdir(), 'web-dist-'));
  let upstreams: Awaited<ReturnType<typeof namedUpstream>>[];
  let edge: RunningEdge;
  let publicBase: string;
  let internalBase: string;

  beforeAll(async () => {
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Chat</title>');
    upstreams = await Promise.all(['chat-api', 'message-api', 'media-service'].map(namedUpstream));
    const [chat, message, media] = upstreams;
    const config = parseConfig(edgeConfigSchema, {
      PORT: '0',
      METRICS_PORT: '0',
      CHAT_API_URL: chat!.url,
      MESSAGE_API_URL: message!.url,
      MEDIA_SERVICE_URL: media!.url,
      GATEWAY_NODES: `gw1=${chat!.url}`,
      WEB_CLIENT_DIR: webDir,
    });
    edge = await startEdge(config, createLogger('edge', 'silent'));
    publicBase = `http://127.0.0.1:${edge.port}`;
    internalBase = `http://127.0.0.1:${edge.internalPort}`;
  });

  afterAll(async () => {
    await edge?.close();
    upstreams?.forEach((u) => u.server.close());
    rmSync(webDir, { recursive: true, force: true });
  });

  it.each(['/healthz', '/readyz', '/metrics'])(
    'answers %s on the internal port only: the public port says 404, like any unknown path',
    async (path) => {
      const viaPublic = await api(publicBase).get(path);
      expect(viaPublic.status).toBe(404);
      expect(viaPublic.body).toMatchObject({ status: 404 });
      expect((await fetch(`${internalBase}${path}`)).status).toBe(200);
    },
  );

  it('says on the internal port that the edge is alive and ready', async () => {
    expect(await (await fetch(`${internalBase}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${internalBase}/readyz`)).json()).toMatchObject({ ready: true });
  });

  it('serves the API, /api/docs, the page at / and the files on the public port', async () => {
    expect((await api(publicBase).get('/api/chats/requests')).body).toMatchObject({ upstream: 'chat-api' });
    expect((await api(publicBase).get('/api/chats/abc/messages')).body).toMatchObject({ upstream: 'message-api' });
    expect((await api(publicBase).get('/api/media/files/abc.png')).body).toMatchObject({
      upstream: 'media-service',
      path: '/api/media/files/abc.png',
    });
    expect((await fetch(`${publicBase}/api/docs`)).status).toBe(200);
    expect(await (await fetch(`${publicBase}/`)).text()).toContain('<title>Chat</title>');
  });

  it.each(['/nope', '/api/users', '/healthz/', '/readyz?full=1', '/.env', '/internal/metrics'])(
    'answers %s on the public port with 404 in the API error shape',
    async (path) => {
      const res = await api(publicBase).get(path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ status: 404 });
    },
  );

  it('serves nothing but the probes and metrics on the internal port: no API, no page', async () => {
    for (const path of ['/', '/api/chats/requests', '/api/docs', '/api/media/files/abc.png']) {
      expect((await fetch(`${internalBase}${path}`)).status, path).toBe(404);
    }
  });
});
