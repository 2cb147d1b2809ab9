import { closeServer, createHttpApp, createMetrics, listen, type Logger } from '@chat/platform';
import type { EdgeConfig } from './config.js';
import { edgeRoutes } from './http/routes.js';

export interface RunningEdge {
  port: number;
  close(): Promise<void>;
}

/** The one public host: routes REST to its service and Socket.IO (with upgrades) to the gateways. */
export async function startEdge(config: EdgeConfig, logger: Logger): Promise<RunningEdge> {
  const routes = edgeRoutes(config, logger);
  const app = createHttpApp({
    logger,
    metrics: createMetrics('edge'),
    readiness: [],
    corsOrigins: config.CORS_ORIGINS,
    bodyLimit: '1kb', // unused: the edge streams bodies through untouched
    rawBodies: true,
    routes: routes.mount,
  });
  const { server, port } = await listen(app, config.PORT);
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/socket.io/')) routes.socketProxy.upgrade(req, socket as never, head);
    else socket.destroy();
  });
  return { port, close: () => closeServer(server) };
}
