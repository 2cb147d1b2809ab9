import type { Collection, Filter } from 'mongodb';
import type { KeyedLock, Logger } from '@chat/platform';
import { ERASED_FIELDS } from './erased-fields.js';
import { recordMigration, type MigrationRecord } from './migrate-message-blocks.js';
import type { MessageDoc } from './message-documents.js';

/** The migrations collection's record of this step, written once no tombstone holds content or media. */
export const ERASE_TOMBSTONES_MIGRATION = 'erase-tombstones';

/**
 * Messages deleted for everyone before a delete erased them: they still hold their text or media.
 * `content: ''` counts (a legacy caption-less media message); `media: null` (the schema's default)
 * does not, nor does a missing field, so an erased tombstone never matches again and a live
 * message never matches at all. FerretDB pushes the top-level equality down and checks `$or` on
 * those rows: one scan of the collection, once.
 */
const LEGACY_TOMBSTONE: Filter<MessageDoc> = {
  deletedForEveryone: true,
  $or: [{ content: { $exists: true } }, { media: { $ne: null } }],
};

type Tombstone = Pick<MessageDoc, '_id' | 'chatId' | 'senderId'> & { media?: { fileId?: string } | null };
/** Only what the erasure needs: never the text itself. */
const TOMBSTONE_FIELDS = { chatId: 1, senderId: 1, 'media.fileId': 1 } as const;

export interface EraseTombstonesDeps {
  messages: Collection<MessageDoc>;
  migrations: Collection<MigrationRecord>;
  /** The chats' change lock (`message-change`). */
  lock: KeyedLock;
  /** media-service, which deletes the files (clients/media-files.ts); throws while it cannot. */
  media: { delete(file: { fileId: string; chatId: string; uploaderId: string }): Promise<void> };
  logger: Logger;
}

/**
 * Erases the messages deleted for everyone by versions that left their text and media in the
 * store, as a delete does now: each tombstone's file is deleted by media-service first (its URL
 * then answers 404), then its `content` and `media` are unset under its chat's change lock
 * (FerretDB loses concurrent updates of one document; edits, reactions and reads take the same
 * lock). A tombstone whose file could not be deleted (or whose chat stayed busy) is left whole,
 * so the next run finds it and its file again; once media-service fails, no more files are asked
 * for in this run (each would wait out the request timeout), the other tombstones are still
 * erased, and the run throws without recording itself. Resumable: a run cut short is finished by
 * the next. Recorded as done at the end; later runs skip it (`force` runs it again); `signal`
 * stops it, unrecorded. Returns how many tombstones it erased.
 */
export async function eraseLegacyTombstones(
  deps: EraseTombstonesDeps,
  opts: { force?: boolean; signal?: AbortSignal } = {},
): Promise<number> {
  const { messages, migrations, lock, media, logger } = deps;
  if (!opts.force && (await migrations.findOne({ _id: ERASE_TOMBSTONES_MIGRATION }))) return 0;
  const started = Date.now();
  let erased = 0;
  let left = 0;
  let failure: Error | undefined;
  let mediaFailure: unknown;
  const found = messages.find<Tombstone>(LEGACY_TOMBSTONE, { projection: TOMBSTONE_FIELDS, batchSize: 500 });
  for await (const tombstone of found) {
    opts.signal?.throwIfAborted(); // the service is stopping: the next start finishes
    const chatId = tombstone.chatId.toHexString();
    const fileId = tombstone.media?.fileId;
    try {
      if (fileId) {
        if (mediaFailure) throw mediaFailure;
        const file = { fileId, chatId, uploaderId: tombstone.senderId.toHexString() };
        await media.delete(file).catch((err: unknown) => {
          mediaFailure = err;
          throw err;
        });
      }
      const { modifiedCount } = await lock.run(chatId, () =>
        messages.updateOne({ _id: tombstone._id, deletedForEveryone: true }, { $unset: ERASED_FIELDS }),
      );
      erased += modifiedCount;
    } catch (err) {
      // Left whole (a busy chat, media-service down): the next run finds it again.
      left++;
      failure ??= err as Error;
    }
  }
  if (failure) {
    logger.warn({ erased, left }, 'tombstone erasure: tombstones left; the next start tries again');
    throw new Error(`tombstone erasure: ${left} tombstones left: ${failure.message}`, { cause: failure });
  }
  await recordMigration(migrations, ERASE_TOMBSTONES_MIGRATION, erased);
  logger.info({ erased, ms: Date.now() - started }, 'tombstone erasure: done');
  return erased;
}
