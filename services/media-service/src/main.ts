import { createLogger, exitOnFatal, loadConfig, onShutdown } from '@chat/platform';
import { mediaConfigSchema } from './config.js';
import { startMediaService } from './app.js';

const config = loadConfig(mediaConfigSchema);
const logger = createLogger('media-service', config.LOG_LEVEL);
exitOnFatal(logger);
const service = await startMediaService(config, logger);
logger.info({ port: service.port }, `media-service listening on http://127.0.0.1:${service.port}`);
onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, service.close);
