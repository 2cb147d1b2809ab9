import { AppError } from '@chat/platform';
import type { UploadToken } from '../data/storage/storage.js';
import type { MediaDeps } from './deps.js';

/**
 * Endpoint 16: an ImageKit signature for one client-side upload. Each one lets its holder upload
 * to our ImageKit account: a few per user, not a stream (RATE_LIMITED past the user's budget).
 */
export async function getUploadToken(deps: MediaDeps, command: { userId: string }): Promise<UploadToken> {
  await deps.limitUploadTokens(command.userId);
  const token = deps.storage.uploadToken();
  if (!token)
    throw new AppError(
      'NOT_IMPLEMENTED',
      'Client-side upload tokens need ImageKit, which is not configured on this server; upload through POST /api/media/upload-chat-media',
    );
  return token;
}
