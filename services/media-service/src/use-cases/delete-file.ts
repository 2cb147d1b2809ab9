import { authorizeFile } from './authorize-file.js';
import type { MediaDeps } from './deps.js';

/**
 * Endpoint 18, for the uploader only: removes the object from the storage, then its record (in
 * that order, so a failed removal keeps the record and can be retried).
 */
export async function deleteFile(deps: MediaDeps, command: { userId: string; fileId: string }): Promise<void> {
  const record = await authorizeFile(deps, { ...command, action: 'delete' });
  await deps.storage.remove(record);
  await deps.files.deleteByFileId(record.fileId);
}
