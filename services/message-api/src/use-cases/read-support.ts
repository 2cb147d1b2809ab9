import type { ReplyPreview } from '@chat/contracts';
import { notFound } from '@chat/platform';
import type { StoredMessage } from '../domain/message.js';
import { toReplyPreview } from '../domain/views.js';
import { type Viewer } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';

export async function replyPreviews(
  deps: MessageDeps,
  viewer: Viewer,
  items: StoredMessage[],
): Promise<Map<string, ReplyPreview>> {
  const ids = [...new Set(items.map((m) => m.replyTo).filter((id): id is string => id !== null))];
  const replied = await deps.repo.findInChat(viewer.chatId, ids);
  return new Map(replied.map((r) => [r.id, toReplyPreview(r, viewer)]));
}

/** The seq of a cursor message of the chat, visible or not (a page may start beside a hidden one). */
export async function cursorOf(
  deps: MessageDeps,
  viewer: Viewer,
  messageId: string | undefined,
): Promise<number | undefined> {
  if (!messageId) return undefined;
  const [m] = await deps.repo.findInChat(viewer.chatId, [messageId]);
  if (!m) throw notFound('Cursor message not found in this chat');
  return m.seq;
}
