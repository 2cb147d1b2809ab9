import { setTimeout } from 'node:timers/promises';
import { AppError } from '@chat/platform';
import { decideQuota, quotaRefusal } from '../domain/storage-quota.js';
import type { MediaDeps } from './deps.js';

/** Tries of an upload that other uploads in progress leave no room for, before its 429. */
const BUSY_ATTEMPTS = 3;
const BUSY_BACKOFF_MS = 100;

/** Gives a hold's bytes back; the file's record (written before) now counts them. */
export type ReleaseHold = () => Promise<void>;

/** Writes a hold, then decides: the release of a hold that fits, or the refusal (its hold withdrawn). */
async function tryReserve(deps: MediaDeps, userId: string, fileBytes: number): Promise<ReleaseHold | AppError> {
  const { quotaBytes } = deps;
  const now = new Date();
  const holdId = await deps.holds.add(userId, fileBytes, new Date(now.getTime() + deps.holdMs));
  const release: ReleaseHold = () =>
    deps.holds.remove(holdId).catch((err: unknown) => {
      // It stops counting when it expires; until then the user has that much less room.
      deps.logger.warn({ err, holdId }, 'could not release an upload hold');
    });
  try {
    // Read only after our hold is written (see reserveStorage).
    const [storedBytes, heldBytes] = await Promise.all([
      deps.files.storedBytesOf(userId),
      deps.holds.heldBytesOf(userId, now),
    ]);
    const decision = decideQuota({ storedBytes, heldBytes, fileBytes, quotaBytes });
    if (decision === 'fits') return release;
    await release();
    const refusal = quotaRefusal(decision, { storedBytes, quotaBytes, fileBytes });
    return new AppError(refusal.code, refusal.message, refusal.details);
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * Reserves `bytes` of the user's storage quota for a file about to be stored, across every
 * replica; 413 when it does not fit beside the user's stored files, 429 when only their other
 * uploads in progress leave no room. Release the hold once the file's record is written, or the
 * file failed.
 *
 * What counts is the sum of the user's file records (so a file deleted by its uploader, by the
 * sweep, or by anything else that deletes its record gives its bytes back at once, and nothing
 * can drift) plus the holds of their uploads in progress. Concurrent uploads cannot pass the
 * quota together: each writes its hold first and reads the usage after, so of two racing uploads
 * at least the later one sees the other's hold (or, once that one finished, its record). No
 * counter is updated in place (FerretDB 1.24 loses concurrent updates of one document); holds
 * are only inserted and deleted.
 */
export async function reserveStorage(
  deps: MediaDeps,
  command: { userId: string; bytes: number },
): Promise<ReleaseHold> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await tryReserve(deps, command.userId, command.bytes);
    if (typeof outcome === 'function') return outcome;
    if (outcome.code !== 'RATE_LIMITED' || attempt === BUSY_ATTEMPTS) throw outcome;
    // Racing uploads may each see all the others' holds and all step back: each waits a
    // random while (its hold withdrawn) and tries again, so one of them gets through.
    await setTimeout(Math.random() * BUSY_BACKOFF_MS * attempt);
  }
}
