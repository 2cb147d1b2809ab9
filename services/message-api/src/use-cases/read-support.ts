import type { ReplyPreview } from '@chat/contracts';
import { notFound } from '@chat/platform';
import type { Cursor } from '../data/message-repository.js';
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

export async function cursorOf(
  deps: MessageDeps,
  chatId: string,
  messageId: string | undefined,
): Promise<Cursor | undefined> {
  if (!messageId) return undefined;
  const [m] = await deps.repo.findInChat(chatId, [messageId]);
  if (!m) throw notFound('Cursor message not found in this chat');
  return { createdAt: m.createdAt, id: m.id };
}
