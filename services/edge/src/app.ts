import { closeServer, createHttpApp, createMetrics, listen, metricsApp, type Logger } from '@chat/platform';
import type { EdgeConfig } from './config.js';
import { edgeRoutes } from './http/routes.js';

export interface RunningEdge {
  port: number;
  metricsPort: number;
  close(): Promise<void>;
}

/** The one public host: routes REST to its service and Socket.IO (with upgrades) to the gateways. */
export async function startEdge(config: EdgeConfig, logger: Logger): Promise<RunningEdge> {
  const routes = edgeRoutes(config, logger);
  const metrics = createMetrics('edge');
  const app = createHttpApp({
    logger,
    metrics,
    serveMetrics: false, // the public port never shows them
    readiness: [],
    corsOrigins: config.CORS_ORIGINS,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: '1kb', // unused: the edge streams bodies through untouched
    rawBodies: true,
    routes: routes.mount,
  });
  const { server, port } = await listen(app, config.PORT);
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/socket.io/')) routes.socketProxy.upgrade(req, socket as never, head);
    else socket.destroy();
  });
  const internal = await listen(metricsApp(metrics), config.METRICS_PORT);
  logger.info({ metricsPort: internal.port }, 'metrics served on their own port');
  return {
    port,
    metricsPort: internal.port,
    close: async () => {
      await Promise.all([closeServer(server), closeServer(internal.server)]);
    },
  };
}
