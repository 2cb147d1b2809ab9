import { createLogger, exitOnFatal, loadConfig, onShutdown } from '@chat/platform';
import { edgeConfigSchema } from './config.js';
import { startEdge } from './app.js';

const config = loadConfig(edgeConfigSchema);
const logger = createLogger('edge', config.LOG_LEVEL);
exitOnFatal(logger);
const edge = await startEdge(config, logger);
logger.info({ port: edge.port }, `edge listening on http://127.0.0.1:${edge.port}`);
onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, edge.close);
