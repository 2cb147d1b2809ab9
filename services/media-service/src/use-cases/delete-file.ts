import { authorizeFile, type FileUseCaseDeps } from './authorize-file.js';

/** Endpoint 18: removes the object from the storage, then its record (so a failed removal can be retried). */
export async function deleteFile(deps: FileUseCaseDeps, fileId: string, userId: string): Promise<void> {
  const record = await authorizeFile(deps, 'delete', fileId, userId);
  await deps.storage.remove(record);
  await deps.files.deleteByFileId(record.fileId);
}
