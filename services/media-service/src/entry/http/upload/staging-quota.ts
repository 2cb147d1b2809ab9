import type { EventEmitter } from 'node:events';
import { AppError, badRequest } from '@chat/platform';

/** One request's share of its user's staging quota. */
export interface StagingLease {
  /**
   * Counts `bytes` about to be written to staging. Throws 429 when the user's other uploads
   * hold the rest of the quota (waiting helps), 413 when this request alone would pass it.
   */
  take(bytes: number): void;
  /** Gives back bytes this request staged and has since deleted. */
  give(bytes: number): void;
}

const REASON = 'STAGING_QUOTA';

/**
 * Bytes one user may have staged on disk at once, in this replica, across all their uploads in
 * flight. Bytes are counted as they are written, not from Content-Length (which the client
 * chooses). A lease gives back everything it still holds when its response finishes or the
 * client goes away, so neither an error nor an abort can leak quota.
 */
export function stagingQuota(maxBytes: number) {
  const held = new Map<string, number>();
  const add = (userId: string, delta: number) => {
    const total = (held.get(userId) ?? 0) + delta;
    if (total <= 0) held.delete(userId);
    else held.set(userId, total);
  };
  return {
    maxBytes,
    /** Bytes `userId` has staged now. */
    heldBy: (userId: string) => held.get(userId) ?? 0,
    /** A lease on `userId`'s quota that ends with `res` ('finish' or 'close'). */
    lease(userId: string, res: EventEmitter): StagingLease {
      let mine = 0;
      let open = true;
      const end = () => {
        if (!open) return;
        open = false;
        add(userId, -mine);
        mine = 0;
      };
      res.once('finish', end);
      res.once('close', end);
      return {
        take(bytes) {
          if (!open) throw badRequest('Upload interrupted');
          if ((held.get(userId) ?? 0) + bytes > maxBytes) {
            throw mine + bytes > maxBytes
              ? new AppError('PAYLOAD_TOO_LARGE', `Upload too large: at most ${maxBytes} bytes may be staged at once`, {
                  reason: REASON,
                  limitBytes: maxBytes,
                })
              : new AppError(
                  'RATE_LIMITED',
                  `Too many bytes uploading at once: at most ${maxBytes} bytes across your uploads in progress, wait for one to finish`,
                  { reason: REASON, limitBytes: maxBytes, retryAfterSeconds: 1 },
                );
          }
          mine += bytes;
          add(userId, bytes);
        },
        give(bytes) {
          const back = Math.min(bytes, mine);
          mine -= back;
          add(userId, -back);
        },
      };
    },
  };
}
export type StagingQuota = ReturnType<typeof stagingQuota>;
