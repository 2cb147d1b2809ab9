/**
 * Runs message-api's migrations by hand (message-api also runs each at start until it is
 * recorded as done): `node services/message-api/dist/entry/cli/migrate.js [message-blocks]
 * [erase-tombstones] [--force]`, with the service's environment (MONGO_URL, REDIS_URL, NATS_URL,
 * NATS_USER, ...). Without names it runs both, in that order. `--force` runs a step although it
 * is recorded. `erase-tombstones` has media-service delete the files over NATS, so media-service
 * must be running; when it is not, the step fails unrecorded and the command exits non-zero.
 */
import { createLogger, loadConfig, openLinks, redisLock } from '@chat/platform';
import { messageApiConfigSchema } from '../../config.js';
import { busMediaFiles } from '../../clients/media-files.js';
import { migrationsOf, openMessages } from '../../data/message-documents.js';
import { MESSAGE_BLOCKS_MIGRATION, migrateMessageBlocks } from '../../data/migrate-message-blocks.js';
import { ERASE_TOMBSTONES_MIGRATION, eraseLegacyTombstones } from '../../data/migrate-erase-tombstones.js';

const config = loadConfig(messageApiConfigSchema);
const logger = createLogger('message-api-migrate', config.LOG_LEVEL);
const STEPS = [MESSAGE_BLOCKS_MIGRATION, ERASE_TOMBSTONES_MIGRATION];
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = named.filter((n) => !STEPS.includes(n));
if (unknown.length > 0) {
  logger.error({ unknown, known: STEPS }, 'unknown migration');
  process.exit(2);
}
const wanted = (step: string) => named.length === 0 || named.includes(step);
const force = process.argv.includes('--force');
const links = await openLinks(config, 'message-api-migrate', logger, { mongo: true, redis: true, nats: true });
try {
  const lock = redisLock(links.redis, 'message-change', { leaseMs: config.CHAT_LOCK_TTL_MS });
  const messages = openMessages(links.mongo);
  const migrations = migrationsOf(links.mongo);
  if (wanted(MESSAGE_BLOCKS_MIGRATION)) {
    const updated = await migrateMessageBlocks(messages, migrations, lock, logger, { force });
    logger.info({ updated }, 'message blocks migration finished');
  }
  if (wanted(ERASE_TOMBSTONES_MIGRATION)) {
    const media = busMediaFiles(links.bus);
    const erased = await eraseLegacyTombstones({ messages, migrations, lock, media, logger }, { force });
    logger.info({ erased }, 'tombstone erasure finished');
  }
} finally {
  await links.close();
}
