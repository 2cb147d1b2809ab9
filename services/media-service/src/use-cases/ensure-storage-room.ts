import { AppError } from '@chat/platform';
import { quotaRefusal } from '../domain/storage-quota.js';
import type { MediaDeps } from './deps.js';

/** 413 before a byte of an upload is read when the user's stored files already fill their quota. */
export async function ensureStorageRoom(deps: MediaDeps, command: { userId: string }): Promise<void> {
  const storedBytes = await deps.files.storedBytesOf(command.userId);
  if (storedBytes < deps.quotaBytes) return;
  const refusal = quotaRefusal('full', { storedBytes, quotaBytes: deps.quotaBytes });
  throw new AppError(refusal.code, refusal.message, refusal.details);
}
