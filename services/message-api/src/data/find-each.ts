import type { Collection } from 'mongodb';
import pLimit from 'p-limit';
import { oid } from '@chat/platform';
import type { MessageDoc } from './message-documents.js';

/** Lookups run this many at a time. */
const CONCURRENCY = 8;

/**
 * The messages of one chat among `ids`, one `_id` lookup each, in the order of `ids` (repeats
 * dropped). Not one `_id: { $in }` query: FerretDB serves only a top-level equality from an index,
 * so `$in` reads every message of the chat.
 */
export async function findEach(messages: Collection<MessageDoc>, chatId: string, ids: string[]): Promise<MessageDoc[]> {
  const limit = pLimit(CONCURRENCY);
  const chat = oid(chatId);
  const docs = await Promise.all(
    [...new Set(ids)].map((id) => limit(() => messages.findOne({ _id: oid(id), chatId: chat }))),
  );
  return docs.filter((d): d is MessageDoc => d !== null);
}
