import type { Collection } from 'mongodb';
import { blockKey, blockOf } from '../domain/message-blocks.js';
import type { MessageDoc } from './message-documents.js';

/** Empty blocks the search looks past: a batch refused after it was numbered leaves a gap of seqs. */
const GAP_BLOCKS = 16;

type BlockField = 'seqBlock' | 'revBlock';

/**
 * A chat's highest stored seq and rev, for seeding its counters after Redis lost them, in a few
 * dozen block lookups whatever the chat's size (no sort: FerretDB would read the whole chat).
 * The highest seq block is found by doubling then halving (seq blocks fill in order; gaps of up
 * to GAP_BLOCKS empty blocks, left by refused batches, are looked past). The highest rev is the
 * newest messages' or `changedRev`, the highest rev a change recorded, whichever is higher, or
 * one in the blocks just above it (a change whose record was cut short). A number still taken
 * twice is refused by the unique indexes, and the counters then start above it (ChatNumbers.forget).
 */
export async function highestStoredNumbers(
  messages: Collection<MessageDoc>,
  chatId: string,
  changedRev: number,
): Promise<{ seq: number; rev: number }> {
  const docsOf = (field: BlockField, block: number) =>
    messages.find({ [field]: blockKey(chatId, block) }, { projection: { seq: 1, rev: 1 } }).toArray();
  const nonEmpty = async (block: number) =>
    (await messages.findOne({ seqBlock: blockKey(chatId, block) }, { projection: { _id: 1 } })) !== null;

  let below = -1; // the highest block known to hold messages
  let above = 0; // a block known to be empty, above `below`
  while (await nonEmpty(above)) [below, above] = [above, above * 2 + 1];
  while (above - below > 1) {
    const mid = (below + above) >> 1;
    if (await nonEmpty(mid)) below = mid;
    else above = mid;
  }
  below = await lookPastGaps(below, nonEmpty);
  if (below < 0) return { seq: 0, rev: changedRev };

  const newest = await docsOf('seqBlock', below);
  const seq = Math.max(...newest.map((d) => d.seq));
  let rev = Math.max(changedRev, ...newest.map((d) => d.rev));
  const revBlocks = async (block: number) => {
    const docs = await docsOf('revBlock', block);
    if (docs.length > 0) rev = Math.max(rev, ...docs.map((d) => d.rev));
    return docs.length > 0;
  };
  await lookPastGaps(blockOf(rev) - 1, revBlocks);
  return { seq, rev };
}

/** From a block that holds messages (or -1), the highest block above it reached over gaps. */
async function lookPastGaps(from: number, holds: (block: number) => Promise<boolean>): Promise<number> {
  let highest = from;
  for (let block = from + 1, empty = 0; empty < GAP_BLOCKS; block++) {
    if (await holds(block)) [highest, empty] = [block, 0];
    else empty++;
  }
  return highest;
}
