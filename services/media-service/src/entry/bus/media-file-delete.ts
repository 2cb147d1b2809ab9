import { mediaFileDelete, QUEUE_GROUPS } from '@chat/contracts';
import type { Bus } from '@chat/platform';
import { deleteMessageFile } from '../../use-cases/delete-message-file.js';
import type { MediaDeps } from '../../use-cases/deps.js';

/**
 * `media.file.delete`, asked by message-api's eraser for the file of a message deleted for
 * everyone (see deleteMessageFile). A storage failure answers an error, and the eraser asks
 * again later.
 */
export function serveMediaFileDelete(bus: Bus, deps: MediaDeps) {
  return bus.handle(mediaFileDelete, QUEUE_GROUPS.mediaService, ({ fileId, chatId, uploaderId }) =>
    deleteMessageFile(deps, { userId: uploaderId, fileId, chatId }),
  );
}
