import type { Media } from '@chat/contracts';
import type { MediaFileRepository } from '../data/media-file-repository.js';
import type { MediaMessageType } from '../domain/file-kind.js';
import { mediaOf } from '../domain/views.js';

/**
 * Was this file uploaded into this chat by this user (and not deleted)? message-api asks
 * before `send_media` and sends the `media` answered here (the server's record), never the
 * client's copy; the type is the one detected from the file's bytes.
 */
export async function checkMediaFile(
  files: MediaFileRepository,
  { fileId, chatId, userId }: { fileId: string; chatId: string; userId: string },
): Promise<{ ok: true; media: Media; messageType: MediaMessageType } | { ok: false }> {
  const record = await files.findOwned(fileId, chatId, userId);
  return record ? { ok: true, media: mediaOf(record), messageType: record.messageType } : { ok: false };
}
