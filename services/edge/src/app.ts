import { closeServer, createHttpApp, createMetrics, internalApp, listen, type Logger } from '@chat/platform';
import { usesDevelopmentSecret, type EdgeConfig } from './config.js';
import { discoverGateways, type GatewayDiscovery } from './entry/http/gateway-discovery.js';
import { parseGatewayNodes } from './entry/http/gateway-router.js';
import { edgeRoutes } from './entry/http/routes.js';
import { mountWebClient } from './entry/http/web-client.js';

export interface RunningEdge {
  /** The public port: the API, `/api/docs`, the web client at `/`, the files, Socket.IO. */
  port: number;
  /** The internal port: `/healthz`, `/readyz`, `/metrics` (METRICS_PORT). */
  internalPort: number;
  close(): Promise<void>;
}

/**
 * The one public host: routes REST to its service and Socket.IO (with upgrades) to the
 * gateways. Its probes and metrics answer on an internal port, never on the public one.
 */
export async function startEdge(
  config: EdgeConfig,
  logger: Logger,
  opts: { resolveSrv?: Parameters<typeof discoverGateways>[0]['resolveSrv'] } = {},
): Promise<RunningEdge> {
  // Gateways: every pod behind a headless Service (GATEWAY_SERVICE), or the fixed GATEWAY_NODES.
  let discovery: GatewayDiscovery | undefined;
  let gateways = () => parseGatewayNodes(config.GATEWAY_NODES);
  if (config.GATEWAY_SERVICE) {
    discovery = await discoverGateways({
      service: config.GATEWAY_SERVICE,
      intervalMs: config.GATEWAY_DISCOVERY_INTERVAL_MS,
      logger,
      ...(opts.resolveSrv && { resolveSrv: opts.resolveSrv }),
    });
    gateways = discovery.nodes;
  } else {
    const fixed = gateways();
    gateways = () => fixed;
  }
  const routes = edgeRoutes(config, logger, gateways);
  const metrics = createMetrics('edge');
  const app = createHttpApp({
    logger,
    metrics,
    internalRoutes: false, // on the internal port: the public host shows no probes or metrics
    readiness: [],
    corsOrigins: config.CORS_ORIGINS,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: '1kb', // unused: the edge streams bodies through untouched
    rawBodies: true,
    routes: (app) => {
      routes.mount(app);
      const devUsers = usesDevelopmentSecret(config);
      const served = mountWebClient(app, config.WEB_CLIENT_DIR, { devUsers });
      logger.info(
        { dir: config.WEB_CLIENT_DIR, devUsers: served && devUsers },
        served ? 'web client served at /' : 'no built web client: nothing served at /',
      );
    },
  });
  const { server, port } = await listen(app, config.PORT, config.BIND_HOST);
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/socket.io/') && routes.gatewaysKnown())
      routes.socketProxy.upgrade(req, socket as never, head);
    else socket.destroy();
  });
  const internal = await listen(internalApp({ metrics, readiness: [] }), config.METRICS_PORT, config.METRICS_BIND_HOST);
  logger.info(
    { internalPort: internal.port, host: config.METRICS_BIND_HOST },
    '/healthz, /readyz and /metrics served on the internal port',
  );
  return {
    port,
    internalPort: internal.port,
    close: async () => {
      discovery?.stop();
      await Promise.all([closeServer(server), closeServer(internal.server)]);
    },
  };
}
