import type { MediaDeps } from './deps.js';
import { deleteFile } from './delete-file.js';

/**
 * `media.file.delete`, for message-api's eraser: the file of a message deleted for everyone. Only
 * a file `userId` (the message's sender) uploaded into that chat goes (what `send_media`
 * accepted), through the same deletion as endpoint 18; a file already gone answers `deleted: false`.
 */
export async function deleteMessageFile(
  deps: MediaDeps,
  command: { userId: string; fileId: string; chatId: string },
): Promise<{ deleted: boolean }> {
  const { userId, fileId, chatId } = command;
  const owned = await deps.files.findOwned(fileId, chatId, userId);
  if (!owned) return { deleted: false };
  await deleteFile(deps, { userId, fileId });
  return { deleted: true };
}
