import { io, type Socket } from 'socket.io-client';
import {
  api,
  emitAck,
  newUserId,
  spawnService,
  startTestInfra,
  tokenFor,
  type ServiceName,
  type SpawnedService,
  type TestInfra,
  type TestInfraOptions,
} from '@chat/testkit';

/**
 * The real stack for one fault test, every part a process it may kill: its own NATS (one
 * server or a cluster), Redis and, when asked, FerretDB; chat-api and message-api twice each,
 * two gateway nodes, the edge. Fast relays so a fault heals in seconds.
 */
export interface FaultWorld {
  infra: TestInfra;
  services: Record<string, SpawnedService>;
  edge: string;
  stop(): Promise<void>;
}

const FAST = {
  OUTBOX_RELAY_INTERVAL_MS: '500',
  OUTBOX_RELAY_AFTER_MS: '1000',
  PRESENCE_TTL_MS: '3000',
  // The steady traffic is the test's load, not abuse: above the per-user event budget.
  SOCKET_RATE_LIMIT_POINTS: '100000',
  LOG_LEVEL: 'warn',
};
const slow = { readyTimeoutMs: 60_000 };

/** Settings of one process of the world only (e.g. a fault it injects into itself). */
export type ProcessEnv = Partial<Record<'chat1' | 'chat2' | 'message1' | 'message2', Record<string, string>>>;

export async function startFaultWorld(opts: TestInfraOptions = {}, own: ProcessEnv = {}): Promise<FaultWorld> {
  const infra = await startTestInfra(opts);
  const env = { ...infra.env, ...FAST };
  const start = (name: ServiceName, extra: Record<string, string> = {}) =>
    spawnService(name, { ...env, ...extra }, slow);
  const [chat1, chat2, message1, message2, gw1, gw2] = await Promise.all([
    start('chat-api', own.chat1),
    start('chat-api', own.chat2),
    start('message-api', own.message1),
    start('message-api', own.message2),
    start('realtime-gateway', { GATEWAY_NODE_ID: 'gw1' }),
    start('realtime-gateway', { GATEWAY_NODE_ID: 'gw2' }),
  ]);
  // The edge reaches the second replicas: the faults kill the first ones.
  const edge = await start('edge', {
    CHAT_API_URL: chat2!.url,
    MESSAGE_API_URL: message2!.url,
    MEDIA_SERVICE_URL: chat2!.url,
    GATEWAY_NODES: `gw1=${gw1!.url},gw2=${gw2!.url}`,
  });
  const services = {
    chat1: chat1!,
    chat2: chat2!,
    message1: message1!,
    message2: message2!,
    gw1: gw1!,
    gw2: gw2!,
    edge,
  };
  return {
    infra,
    services,
    edge: edge.url,
    stop: async () => {
      await Promise.all(Object.values(services).map((s) => s.stop('SIGKILL')));
      await infra.stop();
    },
  };
}

/** One chat with its sender and its receiver on different gateway nodes, both in the room. */
export interface Conversation {
  chatId: string;
  sender: { id: string; socket: Socket };
  receiver: { id: string; socket: Socket };
  /** Message ids the sender's acknowledgement returned, by clientMessageId. */
  acked: Map<string, string>;
  /** Message ids the receiver got live. */
  received: Set<string>;
  /** When each acknowledgement came (ms): the longest gap after a fault is how long sends stalled. */
  ackTimes: number[];
  /** Error codes the sender's acknowledgements carried (e.g. UNAVAILABLE), in order. */
  refusals: string[];
}

/** The gateway node holding a socket's session: gateways prefix Engine.IO ids with their node id. */
export const nodeOf = (socket: Socket): string | undefined => socket.io.engine?.id?.split('.')[0];

/**
 * A client as docs/api-guide.md tells one to behave, through the edge: it reconnects by itself and
 * joins `chatId` again on every (re)connect.
 */
async function chatClient(w: FaultWorld, userId: string, chatId: string): Promise<Socket> {
  const socket = io(w.edge, {
    auth: { token: tokenFor(userId) },
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 1_000,
    timeout: 5_000,
  });
  const joined = new Promise<void>((resolve) => {
    socket.on('connect', () => {
      socket.emit('join_chat', { chatId }, (ack: { ok?: boolean }) => ack?.ok && resolve());
    });
  });
  await joined;
  return socket;
}

/** A client of `userId` on a gateway node other than `other`'s (the edge deals sessions round-robin). */
async function chatClientAwayFrom(w: FaultWorld, userId: string, chatId: string, other: Socket): Promise<Socket> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const socket = await chatClient(w, userId, chatId);
    if (nodeOf(socket) !== nodeOf(other)) return socket;
    socket.close();
  }
  throw new Error('the edge put every session on one gateway node');
}

export async function openConversation(w: FaultWorld): Promise<Conversation> {
  const [a, b] = [newUserId(), newUserId()];
  const created = await api(w.edge, tokenFor(a)).post('/api/chats/or-create', { recipientId: b });
  const chatId = created.body.data._id as string;
  await api(w.edge, tokenFor(b)).post(`/api/chats/${chatId}/accept`);
  const sender = await chatClient(w, a, chatId);
  const receiver = await chatClientAwayFrom(w, b, chatId, sender);
  const conversation: Conversation = {
    chatId,
    sender: { id: a, socket: sender },
    receiver: { id: b, socket: receiver },
    acked: new Map(),
    received: new Set(),
    ackTimes: [],
    refusals: [],
  };
  receiver.on('message_received', (m: { messageId: string }) => conversation.received.add(m.messageId));
  return conversation;
}

export function closeConversations(conversations: Conversation[]): void {
  for (const c of conversations) {
    c.sender.socket.close();
    c.receiver.socket.close();
  }
}

/**
 * Sends until `until` resolves, each message with its own clientMessageId, retried with the
 * same id after an error or a missing answer, as docs/api-guide.md tells clients to.
 */
export async function sendSteadily(c: Conversation, until: Promise<unknown>): Promise<void> {
  let done = false;
  void until.then(() => (done = true));
  for (let n = 0; !done; n++) {
    const clientMessageId = `${c.chatId}-${n}`;
    for (let attempt = 0; attempt < 300; attempt++) {
      const ack = await emitAck(
        c.sender.socket,
        'send_message',
        { chatId: c.chatId, content: `m${n}`, clientMessageId },
        4_000,
      ).catch(() => undefined);
      if (ack?.ok) {
        c.acked.set(clientMessageId, ack.messageId as string);
        c.ackTimes.push(Date.now());
        break;
      }
      c.refusals.push(ack?.code ?? 'NO_ANSWER');
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every message of the chat as `/changes` gives it to `token`, from rev 0, page by page. */
export async function catchUp(
  w: FaultWorld,
  token: string,
  chatId: string,
): Promise<{ _id: string; clientMessageId?: string }[]> {
  const all: { _id: string; clientMessageId?: string }[] = [];
  let since = 0;
  for (let page = 0; page < 1_000; page++) {
    const res = await api(w.edge, token).get(`/api/chats/${chatId}/changes?since=${since}&limit=100`);
    if (res.status !== 200) throw new Error(`/changes answered ${res.status}`);
    all.push(...res.body.data.changes);
    since = res.body.data.rev;
    if (!res.body.data.hasMore) return all;
  }
  throw new Error('/changes never ended');
}

/**
 * What a fault test checks once the fault is over: every acknowledged message is in the
 * receiver's catch-up exactly once, nothing is stored twice, and the receiver's unread count
 * equals the messages they got (none was read). Returns the figures for the fault's line.
 */
export async function verify(w: FaultWorld, conversations: Conversation[]) {
  let acknowledged = 0;
  let lost = 0;
  let duplicated = 0;
  for (const c of conversations) {
    const feed = await catchUp(w, tokenFor(c.receiver.id), c.chatId);
    const count = new Map<string, number>();
    for (const m of feed) count.set(m._id, (count.get(m._id) ?? 0) + 1);
    const perClientId = new Map<string, number>();
    for (const m of feed)
      if (m.clientMessageId) perClientId.set(m.clientMessageId, (perClientId.get(m.clientMessageId) ?? 0) + 1);
    for (const id of c.acked.values()) {
      acknowledged++;
      if (!count.has(id)) lost++;
    }
    duplicated += [...count.values(), ...perClientId.values()].filter((n) => n > 1).length;
  }
  return { acknowledged, lost, duplicated };
}

/** Polls `check` until it holds, up to `timeoutMs`; answers how long it took, in seconds. */
export async function recoveredWithin(timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not recovered within ${timeoutMs / 1000} s`);
}

/** The receiver's unread count as chat-api shows it. */
export async function unreadOf(w: FaultWorld, c: Conversation): Promise<number> {
  const res = await api(w.edge, tokenFor(c.receiver.id)).get(`/api/chats/${c.chatId}`);
  return res.body.data.unreadCount as number;
}

/** The longest time, after `from`, that a conversation went without an acknowledgement (seconds). */
export function longestStall(conversations: Conversation[], from: number): number {
  let longest = 0;
  for (const c of conversations) {
    const times = [from, ...c.ackTimes.filter((t) => t > from)];
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i]! - times[i - 1]!) / 1000);
  }
  return longest;
}

export interface FaultOutcome {
  acknowledged: number;
  lost: number;
  duplicated: number;
  /** Refused or unanswered sends during the whole run (each was retried). */
  refusals: string[];
  /** The longest time without any acknowledgement in a conversation after the fault began (s). */
  stalled: number;
  /** Seconds after the traffic stopped until every unread count was right. */
  countsRight: number;
}

/**
 * Four conversations send steadily through the edge; after 2 s, `inject` runs the fault (and
 * its repair, if any); 4 s later the traffic stops. Then every receiver's unread count must
 * come right and every acknowledged message be there exactly once. Prints the fault's line.
 */
export async function faultDuringTraffic(
  w: FaultWorld,
  name: string,
  inject: () => Promise<void>,
): Promise<FaultOutcome> {
  const conversations: Conversation[] = [];
  for (let i = 0; i < 4; i++) conversations.push(await openConversation(w));
  try {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const traffic = Promise.all(conversations.map((c) => sendSteadily(c, stopped)));
    await new Promise((r) => setTimeout(r, 2_000));
    const faultAt = Date.now();
    await inject();
    await new Promise((r) => setTimeout(r, 4_000));
    stop();
    await traffic;
    const countsRight = await recoveredWithin(60_000, async () => {
      const counts = await Promise.all(conversations.map((c) => unreadOf(w, c).catch(() => -1)));
      return counts.every((n, i) => n === conversations[i]!.acked.size);
    });
    const outcome = {
      ...(await verify(w, conversations)),
      refusals: conversations.flatMap((c) => c.refusals),
      stalled: longestStall(conversations, faultAt),
      countsRight,
    };
    console.info(
      `fault ${name}: acknowledged ${outcome.acknowledged}, lost ${outcome.lost}, duplicated ${outcome.duplicated}, ` +
        `sends stalled at most ${outcome.stalled.toFixed(1)} s, refused ${outcome.refusals.length} time(s), ` +
        `unread counts right ${countsRight.toFixed(1)} s after the traffic stopped`,
    );
    return outcome;
  } finally {
    closeConversations(conversations);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
