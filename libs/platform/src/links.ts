import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { redisSentinelSet, type BaseConfig } from './config.js';
import { Bus } from './nats.js';
import { connectMongo, mongoReady } from './mongo.js';
import { createRedis, redisReady, type Redis } from './redis.js';
import type { ReadinessCheck } from './health.js';

export interface Links {
  bus?: Bus;
  mongo?: Connection;
  redis?: Redis;
  readiness: ReadinessCheck[];
  /** Drains NATS and closes Mongo and Redis, in that order. */
  close(): Promise<void>;
}

type Wanted = { nats?: boolean; mongo?: boolean; redis?: boolean };
type Opened<W extends Wanted> = Links &
  (W['nats'] extends true ? { bus: Bus } : object) &
  (W['mongo'] extends true ? { mongo: Connection } : object) &
  (W['redis'] extends true ? { redis: Redis } : object);

/**
 * Connects the infrastructure a service asks for and builds its readiness checks.
 * @example const links = await openLinks(config, 'chat-api', logger, { nats: true, mongo: true });
 */
export async function openLinks<W extends Wanted>(
  config: BaseConfig,
  service: string,
  logger: Logger,
  wanted: W,
): Promise<Opened<W>> {
  const readiness: ReadinessCheck[] = [];
  const links: Links = {
    readiness,
    close: async () => {
      await links.bus?.drain().catch((err: unknown) => logger.warn({ err }, 'NATS drain failed'));
      await links.mongo?.close().catch((err: unknown) => logger.warn({ err }, 'Mongo close failed'));
      links.redis?.disconnect();
    },
  };
  if (wanted.mongo) {
    links.mongo = await connectMongo(config.MONGO_URL, logger);
    readiness.push({ name: 'mongo', check: mongoReady(links.mongo) });
  }
  if (wanted.nats) {
    links.bus = await Bus.connect({
      url: config.NATS_URL,
      name: service,
      logger,
      timeoutMs: config.NATS_REQUEST_TIMEOUT_MS,
      streamLimits: { maxAgeMs: config.STREAM_MAX_AGE_HOURS * 3_600_000, maxBytes: config.STREAM_MAX_BYTES },
      streamReplicas: config.NATS_STREAM_REPLICAS,
      credentials: config.NATS_USER ? { user: config.NATS_USER, pass: config.NATS_PASSWORD ?? '' } : undefined,
    });
    const bus = links.bus;
    readiness.push({ name: 'nats', check: () => bus.isConnected() });
  }
  if (wanted.redis) {
    links.redis = createRedis(
      config.REDIS_URL,
      service,
      { username: config.REDIS_USERNAME, password: config.REDIS_PASSWORD },
      redisSentinelSet(config),
    );
    links.redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis error'));
    readiness.push({ name: 'redis', check: redisReady(links.redis) });
  }
  return links as Opened<W>;
}
