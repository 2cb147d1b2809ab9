// Stored data for the benchmark: chats made through the REST API (so chat-api's own documents,
// indexes and projections are real), messages bulk-inserted straight into `messages` (sending
// 200,000 through the stack would take longer than the whole benchmark may run).
import { ObjectId } from 'mongodb';
import { performance } from 'node:perf_hooks';
import { api, newUserId, tokenFor } from '@chat/testkit';
import { pool } from './stats.mjs';

/** A word that only some seeded messages carry, so /search has hits and misses to sort out. */
export const SEARCH_WORD = 'needle';
const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore'.split(' ');

/**
 * One message document exactly as message-api stores it.
 * keep in step with services/message-api/src/data/models.ts (MessageDoc), and with how a send
 * fills it in (services/message-api/src/usecases/send-message.ts and message-writer.ts): a
 * field the service adds and the seed lacks makes the 200,000-message figures measure a store
 * the service never sees.
 * Seeded messages count as already published: `pendingEvents` is empty and the outbox markers
 * (`outboxPending`, `outboxAt`) absent, otherwise the outbox relay would replay 200,000 events.
 */
export function messageDoc({ chatId, senderId, receiverId, seq, rev = seq, content, createdAt, clientMessageId }) {
  return {
    _id: new ObjectId(),
    chatId: new ObjectId(chatId),
    senderId: new ObjectId(senderId),
    receiverId: new ObjectId(receiverId),
    content,
    messageType: 'text',
    media: null,
    clientMessageId,
    seq,
    rev,
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

/**
 * Inserts `perChat` messages (seq/rev 1..perChat, senders alternating) into each chat in
 * `chats`, in insertMany batches of `batch`, until `total` documents are written.
 * The chats must hold no messages yet: their numbering starts at 1.
 */
export async function seedMessages(messages, chats, { perChat, total, firstChatIndex = 0, batch = 1_000, deadlineMs = 240_000 }) {
  const started = performance.now();
  const baseMs = Date.now() - 86_400_000; // a day ago: live sends are always newer
  let written = 0;
  let docs = [];
  for (let c = 0; c < chats.length && written + docs.length < total; c++) {
    const { chatId, a, b } = chats[c];
    const chatIndex = firstChatIndex + c;
    for (let seq = 1; seq <= perChat && written + docs.length < total; seq++) {
      const [senderId, receiverId] = seq % 2 ? [a, b] : [b, a];
      const createdAt = new Date(baseMs + seq * 1_000);
      docs.push(messageDoc({ chatId, senderId, receiverId, seq, content: seededContent(chatIndex, seq), createdAt, clientMessageId: `seed-${chatIndex}-${seq}` }));
      if (docs.length === batch) {
        await messages.insertMany(docs, { ordered: false });
        written += docs.length;
        docs = [];
        if (performance.now() - started > deadlineMs) throw new Error(`seeding passed its ${deadlineMs} ms deadline at ${written} messages`);
      }
    }
  }
  if (docs.length) await messages.insertMany(docs, { ordered: false });
  written += docs.length;
  const seconds = (performance.now() - started) / 1000;
  return { written, seconds, perSecond: written / seconds };
}
