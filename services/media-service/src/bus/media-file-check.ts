import { mediaFileCheck, QUEUE_GROUPS } from '@chat/contracts';
import { unauthorized, type Bus } from '@chat/platform';
import type { MediaFileRepository } from '../data/media-file.repository.js';
import { mediaOf } from '../usecases/views.js';

/**
 * `media.file.check`: was this file uploaded into this chat by this user (and not deleted)?
 * message-api asks before `send_media`, and should send the `media` answered here (the
 * server's record) rather than what the client sent.
 */
export function serveMediaFileCheck(bus: Bus, files: MediaFileRepository) {
  return bus.handle(mediaFileCheck, QUEUE_GROUPS.mediaService, async ({ fileId, chatId, userId }, ctx) => {
    if (!ctx.userId) throw unauthorized('media.file.check needs the caller in the x-user-id header');
    const record = await files.findOwned(fileId, chatId, userId);
    return record ? { ok: true, media: mediaOf(record), messageType: record.messageType } : { ok: false };
  });
}
