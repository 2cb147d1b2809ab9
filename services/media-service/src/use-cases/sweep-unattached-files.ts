import { sweepCutoff } from '../domain/retention.js';
import type { MediaDeps } from './deps.js';

const BATCH = 100;
/** Files one pass removes at most; the rest wait for the next pass. */
const MAX_PER_PASS = 2000;

/**
 * One pass of the sweep: removes uploads no message carries, past their TTL and its grace
 * (retention.ts), from the storage and then their records, which gives their bytes back to the
 * uploader's quota. Every replica runs it: two replicas on one file both remove an object that
 * is then gone (not an error for either storage) and only one deletes the record. The object
 * goes first, so a removal that fails keeps the record and is tried again by the next pass.
 * Answers the number of files removed.
 */
export async function sweepUnattachedFiles(deps: MediaDeps, command: { now: Date }): Promise<number> {
  const cutoff = sweepCutoff(command.now, deps.unattachedTtlMs);
  let removed = 0;
  for (let seen = 0; seen < MAX_PER_PASS; seen += BATCH) {
    const records = await deps.files.findUnattachedBefore(cutoff, BATCH);
    for (const record of records) {
      try {
        await deps.storage.remove(record);
      } catch (err) {
        // The storage is failing: stop here rather than ask it again for every file.
        deps.logger.warn({ err, fileId: record.fileId }, 'sweep: could not remove an unattached upload');
        return removed;
      }
      if (await deps.files.deleteUnattached(record.fileId)) removed++;
    }
    if (records.length < BATCH) break;
  }
  return removed;
}
