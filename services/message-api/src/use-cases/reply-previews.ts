import type { ReplyPreview } from '@chat/contracts';
import type { StoredMessage } from '../domain/message.js';
import { toReplyPreview } from '../domain/views.js';
import { type Viewer } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';

/** The preview of each message the listed ones reply to, by its id, as the viewer sees it. */
export async function replyPreviews(
  deps: MessageDeps,
  viewer: Viewer,
  items: StoredMessage[],
): Promise<Map<string, ReplyPreview>> {
  const ids = [...new Set(items.map((m) => m.replyTo).filter((id): id is string => id !== null))];
  const replied = await deps.repo.findInChat(viewer.chatId, ids);
  return new Map(replied.map((r) => [r.id, toReplyPreview(r, viewer)]));
}
