import type { Collection } from 'mongodb';
import { oid } from '@chat/platform';
import { BLOCK_SIZE, blockKey, blockOf } from '../domain/message-blocks.js';
import type { MessageDoc } from './message-documents.js';

/** Lookups run this many at a time. */
const CONCURRENCY = 8;

/**
 * The messages of one chat among `ids`, one `_id` lookup each, in the order of `ids` (repeats
 * dropped). Not one `_id: { $in }` query: FerretDB serves only a top-level equality from an index,
 * so `$in` reads every message of the chat. With `maxMisses`, it stops looking once that many ids
 * turned out not to be in the chat (the rest count as not found).
 */
export async function findEach(
  messages: Collection<MessageDoc>,
  chatId: string,
  ids: string[],
  opts: { maxMisses?: number } = {},
): Promise<MessageDoc[]> {
  const chat = oid(chatId);
  const unique = [...new Set(ids)];
  const found: MessageDoc[] = [];
  let misses = 0;
  for (let i = 0; i < unique.length && misses < (opts.maxMisses ?? Infinity); i += CONCURRENCY) {
    const docs = await Promise.all(
      unique.slice(i, i + CONCURRENCY).map((id) => messages.findOne({ _id: oid(id), chatId: chat })),
    );
    for (const d of docs) {
      if (d) found.push(d);
      else misses++;
    }
  }
  return found;
}

/** Ids a receipt looks up one by one at once (a lookup costs about what 5 rows of a block do). */
const FEW_IDS = 16;
/** Ids not in the chat after which a receipt stops looking up the rest (clients send ids they hold). */
const MAX_MISSES = 16;

/**
 * The messages of one chat among `ids`, for receipts. A few ids are looked up by `_id`. More name
 * messages just received or shown, so the newest blocks (up to `newestSeq`) are read first, as
 * many as the ids could fill and one more, which settles every id of a shorter chat; the ids not
 * found there are looked up by `_id` until MAX_MISSES of them turn out not to be in the chat (the
 * rest are ignored as not found). A request of 500 made-up ids costs a few block reads and 16
 * lookups, not 500.
 */
export async function findAmongNewest(
  messages: Collection<MessageDoc>,
  chatId: string,
  ids: string[],
  newestSeq: number,
): Promise<MessageDoc[]> {
  const wanted = new Set(ids);
  if (wanted.size <= FEW_IDS) return findEach(messages, chatId, [...wanted]);
  const found: MessageDoc[] = [];
  const top = blockOf(newestSeq);
  const blocks = Math.ceil(wanted.size / BLOCK_SIZE) + 1;
  for (let b = top; b >= 0 && b > top - blocks && wanted.size > 0; b--)
    for (const d of await messages.find({ seqBlock: blockKey(chatId, b) }).toArray())
      if (wanted.delete(d._id.toHexString())) found.push(d);
  const wholeChatRead = top < blocks;
  if (wanted.size > 0 && !wholeChatRead)
    found.push(...(await findEach(messages, chatId, [...wanted], { maxMisses: MAX_MISSES })));
  return found;
}
