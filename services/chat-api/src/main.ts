import { createLogger, exitOnFatal, loadConfig, onShutdown } from '@chat/platform';
import { chatApiConfigSchema } from './config.js';
import { startChatApi } from './app.js';

const config = loadConfig(chatApiConfigSchema);
const logger = createLogger('chat-api', config.LOG_LEVEL);
exitOnFatal(logger);
const api = await startChatApi(config, logger);
logger.info({ port: api.port }, `chat-api listening on http://127.0.0.1:${api.port}`);
onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, api.close);
