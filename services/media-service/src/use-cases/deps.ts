import type { ChatAccessClient, Logger } from '@chat/platform';
import type { MediaFileRepository } from '../data/media-file-repository.js';
import type { UploadHoldRepository } from '../data/upload-hold-repository.js';
import type { MediaStorage } from '../data/storage/storage.js';

/** What the media use cases need: the records, the quota holds, the storage, chat access, settings. */
export interface MediaDeps {
  files: MediaFileRepository;
  holds: UploadHoldRepository;
  storage: MediaStorage;
  chatAccess: ChatAccessClient;
  logger: Logger;
  /** Bytes one user may store (MEDIA_USER_QUOTA_BYTES). */
  quotaBytes: number;
  /** How long a quota hold counts if its upload never releases it (a replica died mid-upload). */
  holdMs: number;
  /** How long an upload no message carries is kept (MEDIA_UNATTACHED_TTL_MS). */
  unattachedTtlMs: number;
  /** Throws RATE_LIMITED past the user's budget of client-upload signatures. */
  limitUploadTokens: (userId: string) => Promise<void>;
}
