import type { Media, UploadedFile } from '@chat/contracts';
import type { MediaFileRecord } from './media-file.js';

/** Endpoint 14's `data` for one stored file. */
export const uploadedFileOf = (r: MediaFileRecord): UploadedFile => ({
  url: r.url,
  fileId: r.fileId,
  fileName: r.fileName,
  fileSize: r.fileSize,
  mimeType: r.mimeType,
  messageType: r.messageType,
  ...(r.duration == null ? {} : { duration: r.duration }),
  uploadedAt: r.createdAt.toISOString(),
});

/** The specification's `media` object, as `send_media` carries it. */
export const mediaOf = (r: MediaFileRecord): Media => ({
  url: r.url,
  fileId: r.fileId,
  fileName: r.fileName,
  fileSize: r.fileSize,
  mimeType: r.mimeType,
  ...(r.duration == null ? {} : { duration: r.duration }),
});
