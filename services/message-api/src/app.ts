import { DURABLES, STREAMS } from '@chat/contracts';
import {
  authenticate,
  closeServer,
  createHttpApp,
  httpSettings,
  createMetrics,
  listen,
  observeStoreCommands,
  openLinks,
  outboxPublisher,
  redisLock,
  watchConsumerLag,
  type Logger,
} from '@chat/platform';
import type { MessageApiConfig } from './config.js';
import { migrationsOf, openCollections } from './data/message-documents.js';
import { eraseLegacyTombstones } from './data/migrate-erase-tombstones.js';
import { MessageRepository } from './data/message-repository.js';
import { ChatNumbers } from './data/chat-numbers.js';
import { MessageWriter } from './data/message-writer.js';
import { busAccessGate, type AccessGate } from './clients/access-gate.js';
import type { EventPublisher } from './clients/event-publisher.js';
import { busMediaFiles } from './clients/media-files.js';
import { EventOutbox } from './data/event-outbox.js';
import { OutboxRows } from './data/outbox-rows.js';
import { registerCommandHandlers } from './entry/bus/message-handlers.js';
import { startTextEraser } from './entry/bus/text-eraser.js';
import { messageRoutes } from './entry/http/message-routes.js';
import type { MessageDeps } from './use-cases/deps.js';

export interface RunningMessageApi {
  port: number;
  /** Runs one outbox relay pass now (tests; the relay also runs on its own timer). */
  relayOnce(): Promise<void>;
  /** Settles once this start's erasure of legacy tombstones has ended, done or failed (tests). */
  tombstonesErased: Promise<void>;
  close(): Promise<void>;
}

/** Replaceable collaborators; production uses the bus for both. */
export interface MessageApiOverrides {
  publisher?: EventPublisher;
  access?: AccessGate;
}

/** Owns every message: REST history/search/changes, the message.* commands, MESSAGES events. */
export async function startMessageApi(
  config: MessageApiConfig,
  logger: Logger,
  overrides: MessageApiOverrides = {},
): Promise<RunningMessageApi> {
  const links = await openLinks(config, 'message-api', logger, { nats: true, mongo: true, redis: true });
  const metrics = createMetrics('message-api');
  observeStoreCommands(links.mongo, metrics);
  // message-api owns MESSAGES (CHATS is chat-api's: its events reach us on core NATS).
  await links.bus.ensureStreams([STREAMS.messages]);
  const locks = redisLock(links.redis, 'message-change', { leaseMs: config.CHAT_LOCK_TTL_MS });
  const collections = await openCollections(links.mongo, logger, locks);
  const repo = new MessageRepository(collections.messages, collections.chatRevs);
  const numbers = new ChatNumbers(
    links.redis,
    {
      highestStored: (chatId) => repo.lastNumbers(chatId),
      recordChangeRev: (chatId, rev) => repo.recordChangeRev(chatId, rev),
    },
    { inFlightMs: 10_000, unpublishedMs: config.OUTBOX_RELAY_AFTER_MS },
  );
  const publisher = overrides.publisher ?? links.bus;
  const published = outboxPublisher((subject, event) => publisher.publish(subject, event), logger, metrics);
  const outboxRows = new OutboxRows(collections);
  const outbox = new EventOutbox(published, repo, numbers, locks, outboxRows, logger, {
    intervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
    afterMs: config.OUTBOX_RELAY_AFTER_MS,
    metrics,
  });
  const writer = new MessageWriter(repo, numbers, outbox, logger, {
    maxBatch: config.SEND_BATCH_MAX,
    maxQueued: config.SEND_QUEUE_MAX,
    concurrency: config.SEND_BATCH_CONCURRENCY,
    crashAfterStore: config.NODE_ENV === 'test' ? config.TEST_CRASH_AFTER_STORE : 0,
  });
  const access = overrides.access ?? busAccessGate(links.bus, { ttlMs: config.ACCESS_CACHE_TTL_MS });
  const deps: MessageDeps = {
    repo,
    writer,
    locks,
    numbers,
    outbox,
    outboxRows,
    access,
    contentMax: config.MESSAGE_CONTENT_MAX,
    searchWindow: config.SEARCH_WINDOW,
  };
  const subscriptions = registerCommandHandlers(links.bus, deps);
  outbox.start();
  const media = busMediaFiles(links.bus);
  await startTextEraser(
    links.bus,
    { repo, outbox, stream: links.bus, media },
    { retryMs: config.TEXT_ERASE_RETRY_MS, metrics },
  );
  const lag = watchConsumerLag(links.bus, metrics, [DURABLES.textEraser], { logger });
  // In the background: a start never waits on media-service. A failed run is not recorded, so
  // the next start tries again.
  const stopping = new AbortController();
  const tombstones = eraseLegacyTombstones(
    { messages: collections.messages, migrations: migrationsOf(links.mongo), lock: locks, media, logger },
    { signal: stopping.signal },
  ).then(
    () => undefined,
    (err: unknown) => {
      if (!stopping.signal.aborted) logger.warn({ err }, 'tombstone erasure failed; the next start tries again');
    },
  );
  const app = createHttpApp({
    ...httpSettings(config),
    logger,
    metrics,
    readiness: links.readiness,
    routes: messageRoutes(deps, authenticate(config)),
  });
  const { server, port } = await listen(app, config.PORT);
  return {
    port,
    relayOnce: () => outbox.relayNow(),
    tombstonesErased: tombstones,
    close: async () => {
      stopping.abort();
      lag.stop();
      await closeServer(server);
      for (const s of subscriptions) s.unsubscribe();
      access.stop();
      await outbox.stop();
      await tombstones;
      await links.close();
    },
  };
}
