import { createLogger, exitOnFatal, loadConfig, onShutdown } from '@chat/platform';
import { messageApiConfigSchema } from './config.js';
import { startMessageApi } from './app.js';

const config = loadConfig(messageApiConfigSchema);
const logger = createLogger('message-api', config.LOG_LEVEL);
exitOnFatal(logger);
const service = await startMessageApi(config, logger);
logger.info({ port: service.port }, `message-api listening on http://127.0.0.1:${service.port}`);
onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, service.close);
