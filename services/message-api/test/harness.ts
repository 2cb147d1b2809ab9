import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import type { z } from 'zod';
import { messageSendMedia, type RequestDef } from '@chat/contracts';
import { AppError, Bus, createLogger, createRedis, parseConfig, type Redis } from '@chat/platform';
import {
  api,
  newUserId,
  spawnService,
  startTestInfra,
  tokenFor,
  type SpawnedService,
  type TestInfra,
  NATS_TEST_CREDENTIALS,
  serviceUserEnv,
} from '@chat/testkit';
import { messageApiConfigSchema, startMessageApi, type EventPublisher, type RunningMessageApi } from '../src/index.js';

/**
 * One test file's world: its own NATS/Redis/database, the real chat-api, media-service and
 * edge as processes (run `npm run build` first), message-api in this process, and a test bus
 * that plays the gateway (sends message.* commands) and records every MESSAGES event.
 */
export interface World {
  infra: TestInfra;
  messageApi: RunningMessageApi;
  /** The chat-api process (its projection is a durable consumer of MESSAGES). */
  chatApi: SpawnedService;
  /** The media-service process (it deletes the files of messages deleted for everyone). */
  media: SpawnedService;
  edgeUrl: string;
  bus: Bus;
  db: Connection;
  /** The world's Redis (per-chat numbers and change locks live there). */
  redis: Redis;
  events: { subject: string; event: any }[];
  newUser(): TestUser;
  /** A chat between `a` (requester) and `b` in the given state, made through chat-api's REST endpoints. */
  chat(a: TestUser, b: TestUser, state?: 'accepted' | 'pending' | 'rejected' | 'blocked'): Promise<string>;
  command<Req extends z.ZodType, Res extends z.ZodType>(
    def: RequestDef<Req, Res>,
    user: TestUser,
    data: z.input<Req>,
  ): Promise<z.output<Res>>;
  /** The command's error code (fails the test when it succeeds). */
  refusal<Req extends z.ZodType, Res extends z.ZodType>(
    def: RequestDef<Req, Res>,
    user: TestUser,
    data: unknown,
  ): Promise<string>;
  /** Resolves once an event matching `match` was seen (or fails after `timeoutMs`). */
  waitForEvent(
    match: (e: { subject: string; event: any }) => boolean,
    timeoutMs?: number,
  ): Promise<{ subject: string; event: any }>;
  /** Stored messages matching `filter` (lead it with `chatId` or `_id`: other lookups scan on FerretDB). */
  stored(filter: Record<string, unknown>): Promise<Record<string, any>[]>;
  /** Starts another message-api replica on the same NATS and database (stopped with the world). */
  addReplica(): Promise<RunningMessageApi>;
  stop(): Promise<void>;
}

export interface TestUser {
  id: string;
  token: string;
  http: ReturnType<typeof api>;
}

export async function startWorld(
  opts: {
    publisher?: (bus: Bus) => EventPublisher;
    env?: Record<string, string>;
    /** media-service's settings beyond the defaults (ImageKit's, to store there). */
    mediaEnv?: Record<string, string>;
  } = {},
): Promise<World> {
  const infra = await startTestInfra();
  const logger = createLogger('message-api-test', infra.env.LOG_LEVEL ?? 'silent');
  const mediaDir = mkdtempSync(join(tmpdir(), 'message-api-media-'));
  const [chatApi, media, bus] = await Promise.all([
    spawnService('chat-api', infra.env),
    spawnService('media-service', { ...infra.env, MEDIA_STORAGE_DIR: mediaDir, ...opts.mediaEnv }),
    Bus.connect({
      credentials: NATS_TEST_CREDENTIALS,
      url: infra.natsUrl,
      name: 'message-api-test',
      logger,
      timeoutMs: 5_000,
    }),
  ]);
  const config = parseConfig(messageApiConfigSchema, {
    ...infra.env,
    ...serviceUserEnv('message-api'),
    PORT: '0',
    OUTBOX_RELAY_INTERVAL_MS: '200',
    OUTBOX_RELAY_AFTER_MS: '300',
    ...opts.env,
  });
  const messageApi = await startMessageApi(config, logger, opts.publisher ? { publisher: opts.publisher(bus) } : {});
  const edge: SpawnedService = await spawnService('edge', {
    ...infra.env,
    CHAT_API_URL: chatApi.url,
    MEDIA_SERVICE_URL: media.url,
    MESSAGE_API_URL: `http://127.0.0.1:${messageApi.port}`,
  });
  const db = await mongoose.createConnection(infra.mongoUrl).asPromise();
  const redis = createRedis(infra.redisUrl, 'message-api-test');

  const replicas: RunningMessageApi[] = [];
  const events: { subject: string; event: any }[] = [];
  const waiters = new Set<() => void>();
  bus.nc.subscribe('messages.>', {
    callback: (_err, msg) => {
      events.push({ subject: msg.subject, event: msg.json() });
      for (const w of waiters) w();
    },
  });

  const newUser = (): TestUser => {
    const id = newUserId();
    const token = tokenFor(id);
    return { id, token, http: api(edge.url, token) };
  };

  const world: World = {
    infra,
    messageApi,
    chatApi,
    media,
    edgeUrl: edge.url,
    bus,
    db,
    redis,
    events,
    newUser,
    async chat(a, b, state = 'accepted') {
      const created = await a.http.post('/api/chats/or-create', { recipientId: b.id });
      if (created.status !== 201) throw new Error(`or-create: ${created.status} ${JSON.stringify(created.body)}`);
      const chatId = created.body.data._id as string;
      const step = async (user: TestUser, action: string) => {
        const res = await user.http.post(`/api/chats/${chatId}/${action}`);
        if (res.status !== 200)
          throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}\n${chatApi.output().slice(-3000)}`);
      };
      if (state === 'accepted') await step(b, 'accept');
      if (state === 'rejected') await step(b, 'reject');
      if (state === 'blocked') {
        await step(b, 'accept');
        await step(b, 'block');
      }
      return chatId;
    },
    command: (def, user, data) => bus.request(def, data, { userId: user.id }),
    async refusal(def, user, data) {
      try {
        await bus.request(def, data as never, { userId: user.id });
      } catch (err) {
        if (err instanceof AppError) return err.code;
        throw err;
      }
      throw new Error(`${def.subject} was expected to be refused`);
    },
    waitForEvent(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('expected event did not arrive'));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async addReplica() {
      const started = await startMessageApi(config, logger);
      let closing: Promise<void> | undefined;
      const replica = { ...started, close: () => (closing ??= started.close()) };
      replicas.push(replica);
      return replica;
    },
    stored: (filter) => db.collection('messages').find(filter).sort({ createdAt: 1, _id: 1 }).toArray(),
    async stop() {
      await edge.stop();
      for (const r of replicas) await r.close();
      await messageApi.close();
      await Promise.all([chatApi.stop(), media.stop()]);
      await bus.drain();
      await db.close();
      redis.disconnect();
      await infra.stop();
      rmSync(mediaDir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Uploads a small PNG into the chat through the edge; returns media-service's file record. */
export async function uploadImage(user: TestUser, chatId: string): Promise<any> {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  const form = new FormData();
  form.append('chatId', chatId);
  form.append('file', new Blob([png], { type: 'image/png' }), 'dot.png');
  const res = await user.http.post('/api/media/upload-chat-media', form);
  if (res.status !== 200) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** An image `user` uploads into `chatId` and sends there: the upload's answer and the send's ack. */
export async function sendUploadedImage(w: World, user: TestUser, chatId: string) {
  const file = await uploadImage(user, chatId);
  const media = await w.command(messageSendMedia, user, {
    chatId,
    messageType: 'image',
    media: { url: file.url, fileId: file.fileId },
  });
  return { file, media };
}
