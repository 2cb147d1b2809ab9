import type { mongo } from 'mongoose';
import type { ChatRecord, OutboxEntry } from '../domain/chat.js';
import { toRecord } from './chat-records.js';

/**
 * Publishes `entries` of `chat` (with its snapshot) in the order given, stopping at the first
 * failure (the rest stay for a later drain, still in order); answers how many went out.
 */
export type PublishOutbox = (chat: ChatRecord, entries: readonly OutboxEntry[]) => Promise<number>;

/**
 * Publishes what the chat's outbox holds, in the order it was written, and drops what went out.
 * Only ever called holding the chat's write lock, by the writer that just wrote the chat (or the
 * relay, for what a failed publish or a crash left): so chat events leave in the order of the
 * writes that made them, nobody publishes an entry another writer is publishing, and `doc` (the
 * raw document as last written under this hold) is current. Answers the document afterwards.
 */
export async function drainOutbox(
  col: mongo.Collection<any>,
  doc: Record<string, any>,
  publish: PublishOutbox,
): Promise<Record<string, any>> {
  const outbox = (doc.outbox ?? []) as OutboxEntry[];
  if (outbox.length === 0 && !doc.outboxPending) return doc;
  const sent = outbox.length > 0 ? await publish(toRecord(doc), outbox) : 0;
  if (outbox.length > 0 && sent === 0) return doc;
  const left = outbox.slice(sent);
  // The relay finds chats by this flag alone, so it comes down with the last entry.
  await col.updateOne({ _id: doc._id }, { $set: { outbox: left, outboxPending: left.length > 0 } });
  return { ...doc, outbox: left, outboxPending: left.length > 0 };
}
