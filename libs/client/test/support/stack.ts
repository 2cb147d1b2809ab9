import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatClient, type ChatClientOptions, type ChatHandle, type Message } from '@chat/client';
import { spawnService, startTestInfra, tokenFor, type SpawnedService, type TestInfra } from '@chat/testkit';

/** Six processes start at once, maybe beside other test files: allow them time. */
const slow = { readyTimeoutMs: 60_000 };

/**
 * The real stack, every service a process, as a client meets it: chat-api, message-api,
 * media-service, two gateway nodes (`gw1`, `gw2`) and the edge in front.
 */
export interface Stack {
  infra: TestInfra;
  edge: string;
  gateways: Record<'gw1' | 'gw2', SpawnedService>;
  stop(): Promise<void>;
}

export async function startStack(gatewayEnv: Record<string, string> = {}): Promise<Stack> {
  const infra = await startTestInfra();
  const mediaDir = mkdtempSync(join(tmpdir(), 'client-media-'));
  const gw = (id: string) =>
    spawnService(
      'realtime-gateway',
      { ...infra.env, GATEWAY_NODE_ID: id, PRESENCE_TTL_MS: '2000', ...gatewayEnv },
      slow,
    );
  const [chat, message, media, gw1, gw2] = await Promise.all([
    spawnService('chat-api', infra.env, slow),
    spawnService('message-api', infra.env, slow),
    spawnService('media-service', { ...infra.env, MEDIA_STORAGE_DIR: mediaDir }, slow),
    gw('gw1'),
    gw('gw2'),
  ]);
  const edge = await spawnService('edge', {
    ...infra.env,
    CHAT_API_URL: chat.url,
    MESSAGE_API_URL: message.url,
    MEDIA_SERVICE_URL: media.url,
    GATEWAY_NODES: `gw1=${gw1.url},gw2=${gw2.url}`,
  });
  const all = [chat, message, media, gw1, gw2, edge];
  return {
    infra,
    edge: edge.url,
    gateways: { gw1, gw2 },
    stop: async () => {
      await Promise.all(all.map((s) => s.stop('SIGKILL')));
      await infra.stop();
      rmSync(mediaDir, { recursive: true, force: true });
    },
  };
}

/** An SDK client of `userId` through the edge, reconnecting quickly (tests wait for it). */
export function sdkClient(stack: Stack, userId: string, opts: Partial<ChatClientOptions> = {}): ChatClient {
  return new ChatClient({
    url: stack.edge,
    token: tokenFor(userId),
    ...opts,
    socketOptions: { reconnectionDelay: 100, reconnectionDelayMax: 500, randomizationFactor: 0, ...opts.socketOptions },
  });
}

/** The gateway node holding a client's session: gateways prefix Engine.IO ids with their node id. */
export const nodeOf = (client: ChatClient): string | undefined => client.socket.io.engine?.id?.split('.')[0];

/** Every `message`, `update` and `remove` a chat announces, in order, for "once" and "in order" assertions. */
export function recordChat(chat: ChatHandle) {
  const log = { messages: [] as Message[], updates: [] as Message[], removes: [] as Message[] };
  chat.on('message', (m) => log.messages.push(m));
  chat.on('update', (m) => log.updates.push(m));
  chat.on('remove', (m) => log.removes.push(m));
  return log;
}

/** Polls `check` until it passes (returns without throwing), or throws its last error after `timeoutMs`. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The next `event` of an emitter that matches, or a rejection after `timeoutMs`. */
export function next<T>(
  target: { on: (event: any, listener: (arg: any) => void) => () => void },
  event: string,
  filter: (arg: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = target.on(event, (arg) => {
      if (!filter(arg)) return;
      clearTimeout(timer);
      off();
      resolve(arg);
    });
  });
}

/** Every message of the chat as `/changes` from rev 0 gives it (tombstones left out). */
export async function serverMessages(client: ChatClient, chatId: string): Promise<Message[]> {
  const all = new Map<string, Message>();
  let since = 0;
  for (;;) {
    const { data } = await client.rest.messages.changes(chatId, { since, limit: 100 });
    for (const c of data.changes) {
      if ('isDeleted' in c && c.isDeleted) all.delete(c._id);
      else all.set(c._id, c as Message);
    }
    // A message changed while the feed was read (a receipt the clients still send) moves to a
    // rev past the cursor: read on from the cursor, as a client does, until nothing new comes.
    const settled = !data.hasMore && data.changes.length === 0;
    since = data.rev;
    if (settled) return [...all.values()].sort((a, b) => a.seq - b.seq);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
