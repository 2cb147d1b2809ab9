/**
 * Runs the message blocks migration by hand (message-api also runs it at start until it is
 * recorded as done): `node services/message-api/dist/entry/cli/migrate.js [--force]`, with the
 * service's environment (MONGO_URL, REDIS_URL, ...). `--force` runs it although it is recorded.
 */
import { createLogger, loadConfig, openLinks, redisLock } from '@chat/platform';
import { messageApiConfigSchema } from '../../config.js';
import { migrationsOf, openMessages } from '../../data/message-documents.js';
import { migrateMessageBlocks } from '../../data/migrate-message-blocks.js';

const config = loadConfig(messageApiConfigSchema);
const logger = createLogger('message-api-migrate', config.LOG_LEVEL);
const links = await openLinks(config, 'message-api-migrate', logger, { mongo: true, redis: true });
try {
  const lock = redisLock(links.redis, 'message-change', { leaseMs: config.CHAT_LOCK_TTL_MS });
  const force = process.argv.includes('--force');
  const updated = await migrateMessageBlocks(openMessages(links.mongo), migrationsOf(links.mongo), lock, logger, {
    force,
  });
  logger.info({ updated }, 'message blocks migration finished');
} finally {
  await links.close();
}
