import { notFound } from '@chat/platform';
import type { MediaFileRecord } from '../domain/media-file.js';
import { STORED_NAME } from '../domain/serving.js';
import type { MediaDeps } from './deps.js';

/**
 * The record of a locally stored file by its stored name (`<fileId>.<ext>`, the unguessable
 * secret of its URL), or 404: only files that still have a record are served.
 */
export async function findLocalFile(deps: MediaDeps, command: { storedName: string }): Promise<MediaFileRecord> {
  const fileId = STORED_NAME.exec(command.storedName)?.[1];
  const record = fileId ? await deps.files.findByFileId(fileId) : null;
  if (!record || record.storage !== 'local' || record.storageKey !== command.storedName)
    throw notFound('File not found');
  return record;
}
