import type { Socket } from 'socket.io-client';
import {
  api,
  connectSocket,
  emitAck,
  newUserId,
  spawnService,
  startTestInfra,
  tokenFor,
  type ServiceName,
  type SpawnedService,
  type TestInfra,
} from '@chat/testkit';

/**
 * The real stack for one fault test, every service a process it may kill: chat-api and
 * message-api twice each, two gateway nodes, the edge. Fast relays so a fault heals in seconds.
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
  OUTBOX_STALE_MS: '1000',
  PRESENCE_TTL_MS: '3000',
  LOG_LEVEL: 'warn',
};
const slow = { readyTimeoutMs: 60_000 };

export async function startFaultWorld(): Promise<FaultWorld> {
  const infra = await startTestInfra();
  const env = { ...infra.env, ...FAST };
  const start = (name: ServiceName, extra: Record<string, string> = {}) =>
    spawnService(name, { ...env, ...extra }, slow);
  const [chat1, chat2, message1, message2, gw1, gw2] = await Promise.all([
    start('chat-api'),
    start('chat-api'),
    start('message-api'),
    start('message-api'),
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

/** One chat with its sender on gateway node gw1 and its receiver on gw2, both in the room. */
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
}

export async function openConversation(w: FaultWorld): Promise<Conversation> {
  const [a, b] = [newUserId(), newUserId()];
  const created = await api(w.edge, tokenFor(a)).post('/api/chats/or-create', { recipientId: b });
  const chatId = created.body.data._id as string;
  await api(w.edge, tokenFor(b)).post(`/api/chats/${chatId}/accept`);
  const sender = await connectSocket(w.services.gw1!.url, tokenFor(a));
  const receiver = await connectSocket(w.services.gw2!.url, tokenFor(b));
  for (const s of [sender, receiver]) await emitAck(s, 'join_chat', { chatId });
  const conversation: Conversation = {
    chatId,
    sender: { id: a, socket: sender },
    receiver: { id: b, socket: receiver },
    acked: new Map(),
    received: new Set(),
    ackTimes: [],
  };
  receiver.on('message_received', (m: { messageId: string }) => conversation.received.add(m.messageId));
  return conversation;
}

/**
 * Sends until `until` resolves, each message with its own clientMessageId, retried with the
 * same id after an error or a missing answer, as the README tells clients to.
 */
export async function sendSteadily(c: Conversation, until: Promise<unknown>): Promise<void> {
  let done = false;
  void until.then(() => (done = true));
  for (let n = 0; !done; n++) {
    const clientMessageId = `${c.chatId}-${n}`;
    for (let attempt = 0; attempt < 20; attempt++) {
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
