/**
 * A chat's messages in blocks of BLOCK_SIZE consecutive seqs (and, for the change feed, revs).
 * Every history, feed and search query looks up whole blocks by one equality on a key that holds
 * the chat and the block number: FerretDB 1.24 pushes only top-level equalities down to its
 * store (no ranges, sorts or limits once there is a filter), so a query by `chatId` alone would
 * read every message of the chat, while a block key bounds it to BLOCK_SIZE rows in any chat.
 */
// 64: about one page of history. FerretDB decodes every row a block lookup returns (about 0.15 ms
// a message measured, against 0.8 ms for one lookup), so a block much larger than a page makes
// each page read several times the rows it shows.
export const BLOCK_SIZE = 64;

export const blockOf = (n: number): number => Math.floor(n / BLOCK_SIZE);

/** `<chatId>:<block>`: one chat's block, as stored in `seqBlock` / `revBlock`. */
export const blockKey = (chatId: string, block: number): string => `${chatId}:${block}`;

/** The block fields of a message with this seq and rev. */
export const blockFields = (chatId: string, seq: number, rev: number): { seqBlock: string; revBlock: string } => ({
  seqBlock: blockKey(chatId, blockOf(seq)),
  revBlock: blockKey(chatId, blockOf(rev)),
});

/** The revBlock that goes with a new rev (every write that sets `rev` sets it too). */
export const revBlockOf = (chatId: string, rev: number): string => blockKey(chatId, blockOf(rev));
