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
