import { forbidden, notFound } from '@chat/platform';
import { decideFileAccess, type FileAction } from '../domain/access.js';
import type { ChatAccessClient } from '@chat/platform';
import type { MediaFileRecord, MediaFileRepository } from '../data/media-file.repository.js';
import type { MediaStorage } from '../storage/storage.js';
import { uploadedFileOf } from './views.js';

export interface FileUseCaseDeps {
  storage: MediaStorage;
  files: MediaFileRepository;
  chatAccess: ChatAccessClient;
}

/** The file's record if `userId` may do `action` with it; 404 / 403 otherwise. */
async function authorize(
  deps: FileUseCaseDeps,
  action: FileAction,
  fileId: string,
  userId: string,
): Promise<MediaFileRecord> {
  const record = await deps.files.findByFileId(fileId);
  if (!record) throw notFound('File not found');
  const isUploader = record.uploaderId === userId;
  const isParticipant = !isUploader && (await deps.chatAccess.allows(record.chatId, userId, 'read'));
  const decision = decideFileAccess(action, isUploader, isParticipant);
  if (decision === 'not_found') throw notFound('File not found');
  if (decision === 'forbidden') throw forbidden('Only the uploader may delete this file');
  return record;
}

/** Endpoint 17: the storage's metadata, with our record of the file. */
export async function getFileMetadata(
  deps: FileUseCaseDeps,
  fileId: string,
  userId: string,
): Promise<Record<string, unknown>> {
  const record = await authorize(deps, 'metadata', fileId, userId);
  const metadata = await deps.storage.metadata(record);
  return {
    ...metadata,
    ...uploadedFileOf(record),
    chatId: record.chatId,
    uploadedBy: record.uploaderId,
    storage: record.storage,
  };
}

/** Endpoint 18: removes the object from the storage, then its record (so a failed removal can be retried). */
export async function deleteFile(deps: FileUseCaseDeps, fileId: string, userId: string): Promise<void> {
  const record = await authorize(deps, 'delete', fileId, userId);
  await deps.storage.remove(record);
  await deps.files.deleteByFileId(record.fileId);
}
