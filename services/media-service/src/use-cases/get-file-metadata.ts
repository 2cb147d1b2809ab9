import { uploadedFileOf } from '../domain/views.js';
import { authorizeFile } from './authorize-file.js';
import type { MediaDeps } from './deps.js';

/** Endpoint 17: the storage's metadata, with our record of the file. */
export async function getFileMetadata(
  deps: MediaDeps,
  command: { userId: string; fileId: string },
): Promise<Record<string, unknown>> {
  const record = await authorizeFile(deps, { ...command, action: 'metadata' });
  const metadata = await deps.storage.metadata(record);
  return {
    ...metadata,
    ...uploadedFileOf(record),
    chatId: record.chatId,
    uploadedBy: record.uploaderId,
    storage: record.storage,
  };
}
