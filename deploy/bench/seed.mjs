// Stored data for the benchmark: chats made through the REST API (so chat-api's own documents,
// indexes and projections are real), messages bulk-inserted straight into `messages` (sending
// 200,000 through the stack would take longer than the whole benchmark may run), and the
// counters chat-api keeps on each chat set to what was inserted.
import { ObjectId } from 'mongodb';
import { performance } from 'node:perf_hooks';
import { api, newUserId, tokenFor } from '@chat/testkit';
import { blockFields } from '@chat/message-api';
import { pool } from './stats.mjs';

/** A word that only some seeded messages carry, so /search has hits and misses to sort out. */
export const SEARCH_WORD = 'needle';
const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore'.split(' ');

/**
 * One message document exactly as message-api stores it.
 * keep in step with services/message-api/src/data/message-documents.ts (MessageDoc), and with
 * how a send fills it in (services/message-api/src/use-cases/send-message.ts and
 * message-writer.ts): a field the service adds and the seed lacks makes the stored-data figures
 * measure a store the service never sees. The block keys (`seqBlock`, `revBlock`) come from
 * message-api's own `blockFields`, so they cannot drift from what its queries look up.
 * Seeded messages count as already published: `pendingEvents` is empty and the outbox markers
 * (`outboxPending`, `outboxAt`) absent, otherwise the outbox relay would replay every one.
 */
export function messageDoc({ chatId, senderId, receiverId, seq, rev = seq, content, createdAt, clientMessageId }) {
  const chat = new ObjectId(chatId);
  return {
    _id: new ObjectId(),
    chatId: chat,
    senderId: new ObjectId(senderId),
    receiverId: new ObjectId(receiverId),
    content,
    messageType: 'text',
    media: null,
    clientMessageId,
    seq,
    rev,
    ...blockFields(chat.toHexString(), seq, rev),
    isEdited: false,
    editedAt: null,
    readBy: [],
    deletedBy: [],
    deletedForEveryone: false,
    deletedAt: null,
    replyTo: null,
    reactions: [],
    reactionKeys: [],
    pendingEvents: [],
    createdAt,
    updatedAt: createdAt,
  };
}

/** Deterministic text of varied length (20..~130 chars); every 10th message carries SEARCH_WORD. */
export function seededContent(chatIndex, seq) {
  const words = [`message ${seq} of chat ${chatIndex}`];
  for (let i = 0; i < (seq * 7 + chatIndex) % 16; i++) words.push(FILLER[(seq + i) % FILLER.length]);
  if (seq % 10 === 0) words.push(SEARCH_WORD);
  return words.join(' ');
}

/** A chat between two new users, requested by `a` and accepted by `b` (straight at chat-api). */
export async function acceptedChat(chatApiUrl) {
  const a = newUserId();
  const b = newUserId();
  const created = await api(chatApiUrl, tokenFor(a)).post('/api/chats/or-create', { recipientId: b });
  if (created.status !== 201) throw new Error(`or-create failed: ${created.status} ${JSON.stringify(created.body)}`);
  const chatId = created.body.data._id;
  const accepted = await api(chatApiUrl, tokenFor(b)).post(`/api/chats/${chatId}/accept`);
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return { a, b, chatId };
}

/** `count` accepted chats, `concurrency` creations at a time. */
export async function createChats(chatApiUrl, count, { concurrency = 8, deadlineMs = 120_000 } = {}) {
  const started = performance.now();
  const chats = await pool(count, concurrency, () => acceptedChat(chatApiUrl), { deadlineMs });
  if (chats.length < count) throw new Error(`created only ${chats.length} of ${count} chats in ${deadlineMs} ms`);
  return { chats, seconds: (performance.now() - started) / 1000 };
}

// When seeded message `seq` was created: one second per seq after a fixed point 30 days back,
// the same in every chat and every round of seeding, so in each chat seq and time rise
// together (a chat topped up later continues where it stopped), 2.5 million seqs still lie in
// the past, and every live send is newer than every seeded message.
const SEED_EPOCH_MS = Date.now() - 30 * 86_400_000;
export const seededAt = (seq) => new Date(SEED_EPOCH_MS + seq * 1_000);

const COUNTERS_DEADLINE_MS = 120_000;

/**
 * A seeding plan: `perChat` messages for each of `chats` in turn, seqs `from`..`from + perChat - 1`,
 * until `total` messages are planned. Each entry: { chat, chatIndex, from, to }.
 */
export function spread(chats, { perChat, total, firstChatIndex = 0, from = 1 }) {
  const plan = [];
  let planned = 0;
  for (let c = 0; c < chats.length && planned < total; c++) {
    const count = Math.min(perChat, total - planned);
    plan.push({ chat: chats[c], chatIndex: firstChatIndex + c, from, to: from + count - 1 });
    planned += count;
  }
  return plan;
}

/** `plan`'s chats again, each continuing after its last seq, until `total` more are planned. */
export function extendPlan(plan, { perChat, total }) {
  return spread(plan, { perChat, total }).map(({ chat: entry, from, to }) => ({
    chat: entry.chat,
    chatIndex: entry.chatIndex,
    from: entry.to + from,
    to: entry.to + to,
  }));
}

/**
 * The counters chat-api's projection keeps on a chat whose messages are seqs 1..n as seeded
 * (senders alternating, nothing read, nothing deleted), as if it had applied their `created`
 * events: messageCount (the per-user total `/messages` reports), unreadCount, the last
 * message's preview, and every rev up to n applied. keep in step with
 * services/chat-api/src/domain/message-effects.ts (`created`) and projection.ts (`previewOf`).
 */
function chatCountersAfter({ chatId, a, b }, chatIndex, n, lastId) {
  const [lastSender] = n % 2 ? [a, b] : [b, a];
  return {
    [`messageCount.${a}`]: n,
    [`messageCount.${b}`]: n,
    // a sends the odd seqs, b the even ones: each has the other's unread.
    [`unreadCount.${b}`]: Math.ceil(n / 2),
    [`unreadCount.${a}`]: Math.floor(n / 2),
    lastMessage: [...seededContent(chatIndex, n)].slice(0, 100).join(''),
    lastMessageAt: seededAt(n),
    lastMessageType: 'text',
    lastSenderId: new ObjectId(lastSender),
    lastMessageId: lastId,
    lastMessageSeq: n,
    lastMessageRev: n,
    appliedRevs: { floor: n, revs: [] },
    updatedAt: new Date(),
  };
}

/**
 * Inserts the messages of `plan` (see spread: seq = rev, senders alternating, a sends the odd
 * seqs) into `messages` in insertMany batches of `batch`, then sets the counters of every chat
 * in the plan as chat-api would hold them (chatCountersAfter), so a chat's `messageCount` is
 * what it holds. A chat's seqs below `from` must be there already (an earlier round), none at
 * or above it. `keep` (chatId → Set of seqs) names messages whose ids are returned in `ids`
 * (`<chatId>:<seq>` → hex id).
 */
export async function seedMessages(db, plan, { batch = 1_000, deadlineMs = 240_000, keep = new Map() } = {}) {
  const started = performance.now();
  const messages = db.collection('messages');
  const ids = new Map();
  const lastIds = new Map();
  let written = 0;
  let docs = [];
  const flush = async () => {
    await messages.insertMany(docs, { ordered: false });
    written += docs.length;
    docs = [];
    if (performance.now() - started > deadlineMs) throw new Error(`seeding passed its ${deadlineMs} ms deadline at ${written} messages`);
  };
  for (const { chat, chatIndex, from, to } of plan) {
    const { chatId, a, b } = chat;
    const kept = keep.get(chatId);
    for (let seq = from; seq <= to; seq++) {
      const [senderId, receiverId] = seq % 2 ? [a, b] : [b, a];
      const doc = messageDoc({ chatId, senderId, receiverId, seq, content: seededContent(chatIndex, seq), createdAt: seededAt(seq), clientMessageId: `seed-${chatIndex}-${seq}` });
      if (kept?.has(seq)) ids.set(`${chatId}:${seq}`, doc._id.toHexString());
      if (seq === to) lastIds.set(chatId, doc._id.toHexString());
      docs.push(doc);
      if (docs.length === batch) await flush();
    }
  }
  if (docs.length) await flush();
  const seconds = (performance.now() - started) / 1000;
  const countersStarted = performance.now();
  const chats = db.collection('chats');
  const set = await pool(plan.length, 8, async (i) => {
    const { chat, chatIndex, to } = plan[i];
    const res = await chats.updateOne({ _id: new ObjectId(chat.chatId) }, { $set: chatCountersAfter(chat, chatIndex, to, lastIds.get(chat.chatId)) });
    if (res.matchedCount !== 1) throw new Error(`seeding the counters: chat ${chat.chatId} not found`);
  }, { deadlineMs: COUNTERS_DEADLINE_MS });
  if (set.length < plan.length) throw new Error(`set the counters of only ${set.length} of ${plan.length} chats in ${COUNTERS_DEADLINE_MS} ms`);
  return { written, seconds, perSecond: written / seconds, countersSeconds: (performance.now() - countersStarted) / 1000, chats: plan.length, ids };
}
