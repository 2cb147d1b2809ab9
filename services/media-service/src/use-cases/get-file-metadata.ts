import { uploadedFileOf } from '../domain/views.js';
import { authorizeFile, type FileUseCaseDeps } from './authorize-file.js';

/** Endpoint 17: the storage's metadata, with our record of the file. */
export async function getFileMetadata(
  deps: FileUseCaseDeps,
  fileId: string,
  userId: string,
): Promise<Record<string, unknown>> {
  const record = await authorizeFile(deps, 'metadata', fileId, userId);
  const metadata = await deps.storage.metadata(record);
  return {
    ...metadata,
    ...uploadedFileOf(record),
    chatId: record.chatId,
    uploadedBy: record.uploaderId,
    storage: record.storage,
  };
}
