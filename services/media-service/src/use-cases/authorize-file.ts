import { forbidden, notFound } from '@chat/platform';
import { decideFileAccess, type FileAction } from '../domain/access.js';
import type { MediaFileRecord } from '../domain/media-file.js';
import type { MediaDeps } from './deps.js';

/** The file's record if `userId` may do `action` with it; 404 / 403 otherwise. */
export async function authorizeFile(
  deps: MediaDeps,
  command: { userId: string; fileId: string; action: FileAction },
): Promise<MediaFileRecord> {
  const { userId, fileId, action } = command;
  const record = await deps.files.findByFileId(fileId);
  if (!record) throw notFound('File not found');
  const isUploader = record.uploaderId === userId;
  const isParticipant = !isUploader && (await deps.chatAccess.allows(record.chatId, userId, 'read'));
  const decision = decideFileAccess(action, isUploader, isParticipant);
  if (decision === 'not_found') throw notFound('File not found');
  if (decision === 'forbidden') throw forbidden('Only the uploader may delete this file');
  return record;
}
