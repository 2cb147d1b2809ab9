import type { Collection } from 'mongodb';
import pLimit from 'p-limit';
import { oid } from '@chat/platform';
import { blockKey, blockOf } from '../domain/message-blocks.js';
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

/** Blocks of the newest messages searched for receipt ids before any lookup by id. */
const NEWEST_BLOCKS = 4;
/** Ids older than those blocks that are looked up one by one, at most, per call. */
const OLDER_LOOKUPS = 64;

/**
 * The messages of one chat among `ids`, for receipts: they name messages just received or shown,
 * so the newest NEWEST_BLOCKS blocks (up to `newestSeq`) are read first, which settles every id of
 * a shorter chat; the ids not found there are looked up by `_id`, OLDER_LOOKUPS at most (the rest
 * are ignored as not found). A request of 500 made-up ids costs a few block reads, not 500 lookups.
 */
export async function findAmongNewest(
  messages: Collection<MessageDoc>,
  chatId: string,
  ids: string[],
  newestSeq: number,
): Promise<MessageDoc[]> {
  const wanted = new Set(ids);
  const found: MessageDoc[] = [];
  const top = blockOf(newestSeq);
  for (let b = top; b >= 0 && b > top - NEWEST_BLOCKS && wanted.size > 0; b--)
    for (const d of await messages.find({ seqBlock: blockKey(chatId, b) }).toArray())
      if (wanted.delete(d._id.toHexString())) found.push(d);
  const wholeChatRead = top < NEWEST_BLOCKS;
  if (wanted.size > 0 && !wholeChatRead)
    found.push(...(await findEach(messages, chatId, [...wanted].slice(0, OLDER_LOOKUPS))));
  return found;
}
