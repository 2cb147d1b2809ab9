import type { Media } from '@chat/contracts';
import type { MediaMessageType } from '../domain/file-kind.js';
import { canAttach } from '../domain/retention.js';
import { mediaOf } from '../domain/views.js';
import type { MediaDeps } from './deps.js';

/**
 * Was this file uploaded into this chat by this user (and not deleted, nor left unattached past
 * its TTL)? message-api asks before `send_media` and sends the `media` answered here (the
 * server's record), never the client's copy; the type is the one detected from the file's bytes.
 * A file that passes is marked attached: a message carries it, so the sweep of unattached
 * uploads keeps it (also if that send then fails for another reason: the file still counts
 * against its uploader's quota until they delete it).
 */
export async function checkMediaFile(
  deps: MediaDeps,
  { userId, fileId, chatId }: { userId: string; fileId: string; chatId: string },
): Promise<{ ok: true; media: Media; messageType: MediaMessageType } | { ok: false }> {
  const record = await deps.files.findOwned(fileId, chatId, userId);
  if (!record || !canAttach(record, new Date(), deps.unattachedTtlMs)) return { ok: false };
  if (!record.attached) await deps.files.markAttached(record.fileId);
  return { ok: true, media: mediaOf(record), messageType: record.messageType };
}
