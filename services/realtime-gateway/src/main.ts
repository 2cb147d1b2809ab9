import { createLogger, exitOnFatal, loadConfig, onShutdown } from '@chat/platform';
import { gatewayConfigSchema } from './config.js';
import { startRealtimeGateway } from './app.js';

const config = loadConfig(gatewayConfigSchema);
const logger = createLogger('realtime-gateway', config.LOG_LEVEL);
exitOnFatal(logger);
const gateway = await startRealtimeGateway(config, logger);
logger.info(
  { port: gateway.port, nodeId: gateway.nodeId },
  `realtime-gateway ${gateway.nodeId} listening on http://127.0.0.1:${gateway.port}`,
);
onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, gateway.close);
