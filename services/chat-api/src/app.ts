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
  startOutboxRelay,
  watchConsumerLag,
  type Logger,
} from '@chat/platform';
import type { ChatApiConfig } from './config.js';
import { chatModel } from './data/chat-documents.js';
import { ChatRepository } from './data/chat-repository.js';
import { ProjectionRepository } from './data/projection-repository.js';
import { ChatWriteLock } from './data/chat-write-lock.js';
import { ChatCache } from './data/chat-cache.js';
import { chatEventPublisher } from './data/chat-event-publisher.js';
import { relayStaleChatEvents } from './use-cases/relay-stale-chat-events.js';
import { serveChatQueries } from './entry/bus/chat-queries.js';
import { startMessageProjection } from './entry/bus/message-projection.js';
import { chatRoutes } from './entry/http/chat-routes.js';
import type { ChatDeps } from './use-cases/deps.js';

export interface RunningChatApi {
  port: number;
  close(): Promise<void>;
}

/** chat-api: the `chats` collection, REST endpoints 1-10 and 13, chat queries on NATS, the message projection. */
export async function startChatApi(config: ChatApiConfig, logger: Logger): Promise<RunningChatApi> {
  const links = await openLinks(config, 'chat-api', logger, { nats: true, mongo: true, redis: true });
  try {
    const Chat = chatModel(links.mongo);
    await Chat.syncIndexes();
    const metrics = createMetrics('chat-api');
    observeStoreCommands(links.mongo, metrics);
    // Every writer of a chat (commands, the projection, the relay) takes this lock, writes, and
    // publishes the chat's outbox before letting go: one order of writes and events per chat.
    const lock = new ChatWriteLock(links.redis);
    const cache = new ChatCache({ ttlMs: config.ACCESS_CACHE_TTL_MS });
    const publish = chatEventPublisher(
      outboxPublisher((subject, event) => links.bus.publish(subject, event), logger, metrics),
      logger,
    );
    // chat-api owns CHATS; MESSAGES is message-api's (the projection waits for it).
    await links.bus.ensureStreams([STREAMS.chats]);

    const deps: ChatDeps = {
      chats: new ChatRepository(Chat, lock, cache, publish),
      // The projection publishes the `restored` events a batch writes before the chat's lock is let go.
      projections: new ProjectionRepository(Chat, lock, publish),
      notices: links.bus,
      logger,
      now: () => new Date(),
    };
    serveChatQueries(links.bus, deps, { cache, metrics });
    await startMessageProjection(links.bus, deps, { metrics, lingerMs: config.PROJECTION_LINGER_MS });
    const lag = watchConsumerLag(links.bus, metrics, [DURABLES.chatProjection], { logger });
    const relay = startOutboxRelay(() => relayStaleChatEvents(deps, { staleMs: config.OUTBOX_RELAY_AFTER_MS }), {
      intervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
      logger,
      metrics,
    });

    const app = createHttpApp({
      ...httpSettings(config),
      logger,
      metrics,
      readiness: links.readiness,
      routes: (a) => {
        a.use('/api/chats', chatRoutes(deps, authenticate(config)));
      },
    });
    const { server, port } = await listen(app, config.PORT);
    return {
      port,
      close: async () => {
        // Stop taking requests first; draining NATS then stops the queries and lets the
        // projection finish its current event before the connection closes.
        await closeServer(server);
        lag.stop();
        await relay.stop();
        await links.close();
      },
    };
  } catch (err) {
    await links.close();
    throw err;
  }
}
