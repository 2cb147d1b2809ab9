import type { Collection } from 'mongodb';
import pLimit from 'p-limit';
import { isDuplicateKey, type KeyedLock, type Logger } from '@chat/platform';
import { blockFields } from '../domain/message-blocks.js';
import type { MessageDoc } from './message-documents.js';

/** The migrations collection's record of this step, written once every message carries its blocks. */
export const MESSAGE_BLOCKS_MIGRATION = 'message-blocks';

export interface MigrationRecord {
  _id: string;
  doneAt: Date;
  updated: number;
}

/** Messages read per round; chats of a round are migrated this many at a time, a few hundred messages per lock. */
const ROUND = 2_000;
const CHATS_AT_ONCE = 4;
const PER_LOCK = 200;

type Stale = Pick<MessageDoc, '_id' | 'chatId' | 'seq' | 'rev' | 'seqBlock' | 'revBlock'>;
const STALE_FIELDS = { chatId: 1, seq: 1, rev: 1, seqBlock: 1, revBlock: 1 } as const;

const isStale = (d: Stale) => {
  const want = blockFields(d.chatId.toHexString(), d.seq, d.rev);
  return d.seqBlock !== want.seqBlock || d.revBlock !== want.revBlock;
};

/**
 * Gives every message stored before blocks existed its `seqBlock` and `revBlock`. Resumable: it
 * reads every message once and writes only those whose blocks are missing or wrong, so a run cut
 * short is finished by the next one; it records itself as done at the end, and later starts skip
 * it (`force` runs it again). Each message is rewritten under its chat's change lock, from the
 * message as it is then: FerretDB loses concurrent updates of one document, and edits, reactions
 * and reads take the same lock. Returns how many messages it changed.
 */
export async function migrateMessageBlocks(
  messages: Collection<MessageDoc>,
  migrations: Collection<MigrationRecord>,
  lock: KeyedLock,
  logger: Logger,
  opts: { force?: boolean } = {},
): Promise<number> {
  if (!opts.force && (await migrations.findOne({ _id: MESSAGE_BLOCKS_MIGRATION }))) return 0;
  const started = Date.now();
  let read = 0;
  let updated = 0;
  let round: Stale[] = [];
  const finishRound = async () => {
    updated += await migrateRound(messages, round, lock);
    round = [];
    logger.info({ read, updated }, 'message blocks migration: progress');
  };
  const all = messages.find({}, { projection: STALE_FIELDS, batchSize: 1_000 });
  for await (const doc of all) {
    read++;
    if (isStale(doc)) round.push(doc);
    if (round.length >= ROUND) await finishRound();
  }
  if (round.length > 0) await finishRound();
  await recordMigration(migrations, MESSAGE_BLOCKS_MIGRATION, updated);
  if (updated > 0 || read > 0)
    logger.info({ read, updated, ms: Date.now() - started }, 'message blocks migration: done');
  return updated;
}

/**
 * Records a migration as done. Replicas starting together both migrate (harmlessly) and both
 * record it: the loser's upsert meets the winner's record, which says the same.
 */
export async function recordMigration(
  migrations: Collection<MigrationRecord>,
  id: string,
  updated: number,
): Promise<void> {
  await migrations
    .updateOne({ _id: id }, { $set: { doneAt: new Date(), updated } }, { upsert: true })
    .catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
}

async function migrateRound(messages: Collection<MessageDoc>, stale: Stale[], lock: KeyedLock): Promise<number> {
  const byChat = new Map<string, Stale[]>();
  for (const d of stale) byChat.set(d.chatId.toHexString(), [...(byChat.get(d.chatId.toHexString()) ?? []), d]);
  const limit = pLimit(CHATS_AT_ONCE);
  const pieces = [...byChat].flatMap(([chatId, docs]) =>
    Array.from({ length: Math.ceil(docs.length / PER_LOCK) }, (_, i) => ({
      chatId,
      ids: docs.slice(i * PER_LOCK, (i + 1) * PER_LOCK).map((d) => d._id),
    })),
  );
  const counts = await Promise.all(
    pieces.map(({ chatId, ids }) =>
      limit(() =>
        lock.run(chatId, async () => {
          let changed = 0;
          for (const _id of ids) {
            const now = await messages.findOne({ _id }, { projection: STALE_FIELDS });
            if (!now || !isStale(now)) continue;
            await messages.updateOne({ _id }, { $set: blockFields(chatId, now.seq, now.rev) });
            changed++;
          }
          return changed;
        }),
      ),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}
