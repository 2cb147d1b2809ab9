import mongoose, { type Connection } from 'mongoose';
import { parseConfig, createLogger } from '@chat/platform';
import {
  api,
  spawnService,
  startTestInfra,
  tokenFor,
  newUserId,
  type SpawnedService,
  type TestInfra,
  serviceUserEnv,
} from '@chat/testkit';
import { chatApiConfigSchema, startChatApi, type RunningChatApi } from '../src/index.js';

/** One test file's world: its own NATS/Redis/database, chat-api in this process, the real edge in front. */
export interface ChatApiWorld {
  infra: TestInfra;
  chatApi: RunningChatApi;
  chatApiUrl: string;
  edge: SpawnedService;
  edgeUrl: string;
  /** Restarts chat-api in-process (same config), e.g. to stop and resume its consumer. */
  restartChatApi(): Promise<void>;
  stopChatApi(): Promise<void>;
  /** A direct connection to the test database, to check stored state. */
  db: Connection;
  /** The stored chat documents (raw), for assertions on what was written. */
  /** Stored chats matching `filter` (lead it with `_id`, `participants` or `pairKey`: other lookups scan on FerretDB). */
  storedChats(filter: Record<string, unknown>): Promise<Record<string, any>[]>;
  startChatApi(): Promise<void>;
  /** Another chat-api replica in this process (same config, own port); stopped with the world. */
  addReplica(): Promise<{ url: string; close(): Promise<void> }>;
  /** The message-api process behind the edge, when asked for (`messageApi: true`). */
  messageApi?: SpawnedService;
  stop(): Promise<void>;
}

export async function startWorld(
  env: Record<string, string> = {},
  opts: { messageApi?: boolean } = {},
): Promise<ChatApiWorld> {
  const infra = await startTestInfra();
  const config = parseConfig(chatApiConfigSchema, { ...infra.env, ...serviceUserEnv('chat-api'), ...env, PORT: '0' });
  const logger = createLogger('chat-api', infra.env.LOG_LEVEL ?? 'silent');
  let chatApi = await startChatApi(config, logger);
  const chatApiUrl = () => `http://127.0.0.1:${chatApi.port}`;
  // The edge keeps pointing at one port, so a restarted chat-api listens on the same one.
  const fixedConfig = { ...config, PORT: chatApi.port };
  // message-api as a real process (build first), so sends go through the real send path.
  const messageApi = opts.messageApi ? await spawnService('message-api', infra.env) : undefined;
  const edge = await spawnService('edge', {
    ...infra.env,
    CHAT_API_URL: chatApiUrl(),
    ...(messageApi ? { MESSAGE_API_URL: messageApi.url } : {}),
  });
  const replicas: RunningChatApi[] = [];
  let running = true;
  const db = await mongoose.createConnection(infra.mongoUrl).asPromise();
  const world: ChatApiWorld = {
    infra,
    db,
    storedChats: (filter) => db.collection('chats').find(filter).toArray(),
    chatApi,
    chatApiUrl: chatApiUrl(),
    edge,
    edgeUrl: edge.url,
    stopChatApi: async () => {
      if (running) await chatApi.close();
      running = false;
    },
    startChatApi: async () => {
      if (!running) chatApi = await startChatApi(fixedConfig, logger);
      world.chatApi = chatApi;
      running = true;
    },
    ...(messageApi ? { messageApi } : {}),
    addReplica: async () => {
      const replica = await startChatApi({ ...config, PORT: 0 }, logger);
      replicas.push(replica);
      return { url: `http://127.0.0.1:${replica.port}`, close: () => replica.close() };
    },
    restartChatApi: async () => {
      await world.stopChatApi();
      await world.startChatApi();
    },
    stop: async () => {
      await edge.stop();
      await messageApi?.stop();
      for (const r of replicas.splice(0)) await r.close();
      await world.stopChatApi();
      await db.close();
      await infra.stop();
    },
  };
  return world;
}

/** A fresh user with a token and an API client through the edge. */
export function newUser(edgeUrl: string) {
  const id = newUserId();
  const token = tokenFor(id);
  return { id, token, http: api(edgeUrl, token) };
}
export type TestUser = ReturnType<typeof newUser>;
