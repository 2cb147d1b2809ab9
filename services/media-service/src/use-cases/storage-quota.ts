import { setTimeout } from 'node:timers/promises';
import { AppError, type Logger } from '@chat/platform';
import type { MediaFileRepository } from '../data/media-file-repository.js';
import type { UploadHoldRepository } from '../data/upload-holds.js';
import { decideQuota } from '../domain/storage-quota.js';

export interface StorageQuotaDeps {
  files: MediaFileRepository;
  holds: UploadHoldRepository;
  logger: Logger;
  /** Bytes one user may store (MEDIA_USER_QUOTA_BYTES). */
  quotaBytes: number;
  /** How long a hold counts if its upload never releases it (a replica died mid-upload). */
  holdMs: number;
}

const REASON = 'STORAGE_QUOTA';
/** Tries of an upload that other uploads in progress leave no room for, before its 429. */
const BUSY_ATTEMPTS = 3;
const BUSY_BACKOFF_MS = 100;

/** Gives a hold's bytes back; the file's record (written before) now counts them. */
export type ReleaseHold = () => Promise<void>;

/**
 * The bytes each user may keep stored, across every replica. What counts is the sum of the
 * user's file records (so a file deleted by its uploader, by the sweep, or by anything else that
 * deletes its record gives its bytes back at once, and nothing can drift) plus the holds of
 * their uploads in progress. Concurrent uploads cannot pass the quota together: each writes its
 * hold first and reads the usage after, so of two racing uploads at least the later one sees
 * the other's hold (or, once that one finished, its record). No counter is updated in place
 * (FerretDB 1.24 loses concurrent updates of one document); holds are only inserted and deleted.
 */
export function storageQuota(deps: StorageQuotaDeps) {
  const { quotaBytes } = deps;
  const usedBytes = (uploaderId: string) => deps.files.storedBytesOf(uploaderId);
  const full = (used: number, fileBytes?: number) =>
    new AppError(
      'PAYLOAD_TOO_LARGE',
      `Storage quota exceeded: you store ${used} of your ${quotaBytes} bytes${fileBytes === undefined ? '' : ` and this file needs ${fileBytes}`}; delete files to make room`,
      { reason: REASON, limitBytes: quotaBytes, usedBytes: used },
    );

  /** Writes a hold, then decides: the release of a hold that fits, or the refusal (its hold withdrawn). */
  async function tryReserve(uploaderId: string, fileBytes: number): Promise<ReleaseHold | AppError> {
    const now = new Date();
    const holdId = await deps.holds.add(uploaderId, fileBytes, new Date(now.getTime() + deps.holdMs));
    const release: ReleaseHold = () =>
      deps.holds.remove(holdId).catch((err: unknown) => {
        // It stops counting when it expires; until then the user has that much less room.
        deps.logger.warn({ err, holdId }, 'could not release an upload hold');
      });
    try {
      // Read only after our hold is written (see above).
      const [storedBytes, heldBytes] = await Promise.all([
        usedBytes(uploaderId),
        deps.holds.heldBytesOf(uploaderId, now),
      ]);
      const decision = decideQuota({ storedBytes, heldBytes, fileBytes, quotaBytes });
      if (decision === 'fits') return release;
      await release();
      return decision === 'full'
        ? full(storedBytes, fileBytes)
        : new AppError(
            'RATE_LIMITED',
            `Storage quota: your uploads in progress hold the rest of your ${quotaBytes} bytes, try again when they finish`,
            { reason: REASON, limitBytes: quotaBytes, usedBytes: storedBytes, retryAfterSeconds: 1 },
          );
    } catch (err) {
      await release();
      throw err;
    }
  }

  return {
    quotaBytes,
    /** 413 before a byte is read when the user's stored files already fill the quota. */
    async ensureRoom(uploaderId: string): Promise<void> {
      const used = await usedBytes(uploaderId);
      if (used >= quotaBytes) throw full(used);
    },
    /**
     * Reserves `fileBytes` for a file about to be stored; 413 when it does not fit beside the
     * user's stored files, 429 when only their other uploads in progress leave no room.
     * Release the hold once the file's record is written, or the file failed.
     */
    async reserve(uploaderId: string, fileBytes: number): Promise<ReleaseHold> {
      for (let attempt = 1; ; attempt++) {
        const outcome = await tryReserve(uploaderId, fileBytes);
        if (typeof outcome === 'function') return outcome;
        if (outcome.code !== 'RATE_LIMITED' || attempt === BUSY_ATTEMPTS) throw outcome;
        // Racing uploads may each see all the others' holds and all step back: each waits a
        // random while (its hold withdrawn) and tries again, so one of them gets through.
        await setTimeout(Math.random() * BUSY_BACKOFF_MS * attempt);
      }
    },
  };
}
export type StorageQuota = ReturnType<typeof storageQuota>;
