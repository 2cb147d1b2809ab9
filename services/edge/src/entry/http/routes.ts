import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { injectTrace, inSpan, tracingOn, type Logger } from '@chat/platform';
import type { EdgeConfig } from '../../config.js';
import { docsRoutes } from './docs-routes.js';
import { createGatewayRouter, type GatewayNode } from './gateway-router.js';

/** Message routes live under /api/chats/:chatId but belong to message-api. */
const MESSAGE_API_PATH = /^\/api\/chats\/[^/]+\/(messages|search|changes)(\/|$)/;

/** Answers a failed upstream with the API's error shape (or closes a WebSocket). */
const upstreamError =
  (logger: Logger, upstream: string) => (err: Error, _req: IncomingMessage, res: ServerResponse | Socket) => {
    logger.warn({ err: err.message, upstream }, 'upstream unavailable');
    if ('writeHead' in res) {
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 503, message: `${upstream} is unavailable, try again` }));
    } else {
      res.destroy();
    }
  };

export interface EdgeRoutes {
  mount(app: Express): void;
  /** The Socket.IO proxy's `upgrade`, which hands WebSocket upgrades to a gateway. */
  socketProxy: Pick<RequestHandler, 'upgrade'>;
  /** Whether any gateway node is known (discovery may have found none yet). */
  gatewaysKnown(): boolean;
}

/** `gateways`: the gateway nodes, read per request (fixed, or found by discovery). */
export function edgeRoutes(config: EdgeConfig, logger: Logger, gateways: () => GatewayNode[]): EdgeRoutes {
  const proxy = (name: string, target: string, pathFilter: (path: string) => boolean) =>
    createProxyMiddleware<IncomingMessage, ServerResponse>({
      target,
      pathFilter,
      xfwd: true,
      proxyTimeout: config.PROXY_TIMEOUT_MS,
      on: { error: upstreamError(logger, name) },
    });
  const messageApi = proxy('message-api', config.MESSAGE_API_URL, (path) => MESSAGE_API_PATH.test(path));
  const chatApi = proxy(
    'chat-api',
    config.CHAT_API_URL,
    (path) => path === '/api/chats' || path.startsWith('/api/chats/'),
  );
  const media = proxy(
    'media-service',
    config.MEDIA_SERVICE_URL,
    (path) => path === '/api/media' || path.startsWith('/api/media/'),
  );
  const gatewayRouter = createGatewayRouter(gateways);
  const socketProxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: 'http://127.0.0.1', // replaced per request by the router (never used: see noGateway)
    router: (req) => gatewayRouter(req) ?? 'http://127.0.0.1',
    pathFilter: (path) => path.startsWith('/socket.io/'),
    ws: true,
    xfwd: true,
    proxyTimeout: config.PROXY_TIMEOUT_MS,
    on: { error: upstreamError(logger, 'realtime-gateway') },
  });
  const gatewaysKnown = () => gateways().length > 0;
  const noGateway = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (gatewaysKnown() || !req.url?.startsWith('/socket.io/')) return next();
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 503, message: 'realtime-gateway is unavailable, try again' }));
  };
  // The frames of a proxied WebSocket are piped through unread, so the edge's span is the
  // upgrade's; its `traceparent` goes to the gateway with the upgrade request, and each event
  // of that socket links to it there.
  const upgrade: RequestHandler['upgrade'] = (req, socket, head) =>
    inSpan('proxy socket.io upgrade', { kind: 'server', attributes: { 'url.path': '/socket.io/' } }, () => {
      if (tracingOn()) injectTrace((name, value) => (req.headers[name] = value));
      return socketProxy.upgrade(req, socket, head);
    });
  return {
    mount: (app) => {
      // The API descriptions are the edge's own; everything else under /api goes to a service.
      app.use(docsRoutes());
      app.use(messageApi, chatApi, media, noGateway, socketProxy);
    },
    socketProxy: { upgrade },
    gatewaysKnown,
  };
}
