import { mediaFileDelete, QUEUE_GROUPS } from '@chat/contracts';
import type { Bus } from '@chat/platform';
import type { FileUseCaseDeps } from '../../use-cases/authorize-file.js';
import { deleteFile } from '../../use-cases/delete-file.js';

/**
 * `media.file.delete`, asked by message-api's eraser for the file of a message deleted for
 * everyone. Only a file the message's sender uploaded into that chat goes (what `send_media`
 * accepted), through the same use case as endpoint 18. A file already gone answers
 * `deleted: false`; a storage failure answers an error, and the eraser asks again later.
 */
export function serveMediaFileDelete(bus: Bus, deps: FileUseCaseDeps) {
  return bus.handle(mediaFileDelete, QUEUE_GROUPS.mediaService, async ({ fileId, chatId, uploaderId }) => {
    const owned = await deps.files.findOwned(fileId, chatId, uploaderId);
    if (!owned) return { deleted: false };
    await deleteFile(deps, fileId, uploaderId);
    return { deleted: true };
  });
}
