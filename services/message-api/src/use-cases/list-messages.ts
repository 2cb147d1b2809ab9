import type { MessageView, Pagination } from '@chat/contracts';
import { notFound } from '@chat/platform';
import { toMessageView } from '../domain/views.js';
import { viewerOf, type Viewer } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { replyPreviews } from './reply-previews.js';

/**
 * Endpoint 11: newest first by page, or older than `before` (newest first) / newer than `after`
 * (oldest first), in seq order (the order of createdAt: a message's time is taken with its seq).
 * The work is the page's blocks of the chat, whatever its length. `total` is the chat's count
 * of messages the caller can see, as chat-api keeps it (the chat's `messageCount`), not counted.
 */
export async function listMessages(
  deps: MessageDeps,
  command: { userId: string; chatId: string; page: number; limit: number; before?: string; after?: string },
) {
  // Not a cached answer: its messageCount is the page's total, which must not lag by the cache's age.
  const access = await deps.access.check(command.chatId, command.userId, 'read', { fresh: true });
  const viewer = viewerOf(access, command.userId);
  const [before, after, highest] = await Promise.all([
    cursorOf(deps, viewer, command.before),
    cursorOf(deps, viewer, command.after),
    deps.numbers.highest(access.chatId),
  ]);
  const skip = (command.page - 1) * command.limit;
  const { items } = await deps.repo
    .visibleTo(viewer)
    .walk(
      after !== undefined
        ? { direction: 'newer', from: after, bound: highest.seq, skip, limit: command.limit }
        : { direction: 'older', from: before ?? highest.seq + 1, bound: 1, skip, limit: command.limit },
    );
  const replies = await replyPreviews(deps, viewer, items);
  return {
    data: items.map((m) => toMessageView(m, replies)) as MessageView[],
    chatInfo: { chatId: access.chatId, status: access.status, participants: access.participants },
    pagination: { total: access.messageCount ?? 0, page: command.page, limit: command.limit } satisfies Pagination,
  };
}

/** The seq of a cursor message of the chat, visible or not (a page may start beside a hidden one). */
async function cursorOf(deps: MessageDeps, viewer: Viewer, messageId: string | undefined): Promise<number | undefined> {
  if (!messageId) return undefined;
  const [m] = await deps.repo.findInChat(viewer.chatId, [messageId]);
  if (!m) throw notFound('Cursor message not found in this chat');
  return m.seq;
}
