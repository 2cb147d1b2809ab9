/**
 * Whether a file fits in its uploader's storage quota. `storedBytes` are the user's stored files;
 * `heldBytes` the bytes their uploads in progress have reserved, this file's own reservation
 * included. Past the quota on stored bytes alone the file can never fit (413: delete files
 * first); when only the other uploads in progress make it not fit, one of them may still fail
 * and give its bytes back (429: try again).
 */
export type QuotaDecision = 'fits' | 'full' | 'busy';

export function decideQuota(usage: {
  storedBytes: number;
  heldBytes: number;
  fileBytes: number;
  quotaBytes: number;
}): QuotaDecision {
  const { storedBytes, heldBytes, fileBytes, quotaBytes } = usage;
  if (storedBytes + fileBytes > quotaBytes) return 'full';
  return storedBytes + heldBytes > quotaBytes ? 'busy' : 'fits';
}

const REASON = 'STORAGE_QUOTA';

/** How a quota refusal is answered: 413 for `full`, 429 (try again soon) for `busy`. */
export interface QuotaRefusal {
  code: 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED';
  message: string;
  details: { reason: typeof REASON; limitBytes: number; usedBytes: number; retryAfterSeconds?: number };
}

/** The refusal for `decision`; `fileBytes` is named in a `full` answer when a file was weighed. */
export function quotaRefusal(
  decision: Exclude<QuotaDecision, 'fits'>,
  usage: { storedBytes: number; quotaBytes: number; fileBytes?: number },
): QuotaRefusal {
  const { storedBytes, quotaBytes, fileBytes } = usage;
  if (decision === 'full')
    return {
      code: 'PAYLOAD_TOO_LARGE',
      message: `Storage quota exceeded: you store ${storedBytes} of your ${quotaBytes} bytes${fileBytes === undefined ? '' : ` and this file needs ${fileBytes}`}; delete files to make room`,
      details: { reason: REASON, limitBytes: quotaBytes, usedBytes: storedBytes },
    };
  return {
    code: 'RATE_LIMITED',
    message: `Storage quota: your uploads in progress hold the rest of your ${quotaBytes} bytes, try again when they finish`,
    details: { reason: REASON, limitBytes: quotaBytes, usedBytes: storedBytes, retryAfterSeconds: 1 },
  };
}
