import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncApiDocument, openApiDocument, restRoutes } from '@chat/contracts';
import { createLogger, parseConfig } from '@chat/platform';
import { api } from '@chat/testkit';
import { edgeConfigSchema } from '../src/config.js';
import { startEdge, type RunningEdge } from '../src/app.js';

describe('the API descriptions served by the edge', () => {
  let edge: RunningEdge;
  let http: ReturnType<typeof api>;

  beforeAll(async () => {
    // Nothing listens upstream: the descriptions are the edge's own and need no service.
    // Port 9 (discard) below 1024: no test binds it, whereas a free port may be taken by a parallel test.
    const nowhere = 'http://127.0.0.1:9';
    const config = parseConfig(edgeConfigSchema, {
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      CHAT_API_URL: nowhere,
      MESSAGE_API_URL: nowhere,
      MEDIA_SERVICE_URL: nowhere,
      GATEWAY_NODES: `gw1=${nowhere}`,
    });
    edge = await startEdge(config, createLogger('edge', 'silent'));
    http = api(`http://127.0.0.1:${edge.port}`); // no token: the descriptions are public
  });

  afterAll(async () => {
    await edge?.close();
  });

  it('GET /api/docs/openapi.json answers the OpenAPI 3.1 document built from libs/contracts', async () => {
    const res = await http.get('/api/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('GET /api/docs/asyncapi.json answers the AsyncAPI 3.0 document built from libs/contracts', async () => {
    const res = await http.get('/api/docs/asyncapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(asyncApiDocument())));
  });

  it('GET /api/docs is a self-contained HTML page naming every route and every socket event', async () => {
    const res = await http.get('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    // No script, nothing loaded from anywhere: only inline styles.
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    const page = res.body as string;
    expect(page).not.toMatch(/<script|<link|src=/i);
    for (const route of restRoutes) expect(page).toContain(`<code>${route.path.replace(/:(\w+)/g, '{$1}')}</code>`);
    for (const event of Object.keys(asyncApiDocument().operations as object))
      expect(page).toContain(`id="socket-${event}"`);
  });

  it('an unknown path under /api/docs still gets the 404 body, and the proxied routes still go upstream', async () => {
    const unknown = await http.get('/api/docs/nothing.json');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: 404 });
    // chat-api is down here: the edge tried it.
    expect((await http.get('/api/chats/requests')).status).toBe(503);
  });
});
