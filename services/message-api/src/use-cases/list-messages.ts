import type { MessageView, Pagination } from '@chat/contracts';
import { toMessageView } from '../domain/views.js';
import { viewerOf, type MessageDeps } from './deps.js';
import { replyPreviews, cursorOf } from './read-support.js';

/**
 * Endpoint 11: newest first by page, or older than `before` (newest first) / newer than `after`
 * (oldest first), in seq order (the order of createdAt: a message's time is taken with its seq).
 * The work is the page's blocks of the chat, whatever its length. `total` is the chat's count
 * of messages the caller can see, as chat-api keeps it (the chat's `messageCount`), not counted.
 */
export async function listMessages(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; page: number; limit: number; before?: string; after?: string },
) {
  // Not a cached answer: its messageCount is the page's total, which must not lag by the cache's age.
  const access = await deps.access.check(input.chatId, userId, 'read', { fresh: true });
  const viewer = viewerOf(access, userId);
  const [before, after, highest] = await Promise.all([
    cursorOf(deps, viewer, input.before),
    cursorOf(deps, viewer, input.after),
    deps.numbers.highest(access.chatId),
  ]);
  const skip = (input.page - 1) * input.limit;
  const { items } = await deps.repo
    .visibleTo(viewer)
    .walk(
      after !== undefined
        ? { direction: 'newer', from: after, bound: highest.seq, skip, limit: input.limit }
        : { direction: 'older', from: before ?? highest.seq + 1, bound: 1, skip, limit: input.limit },
    );
  const replies = await replyPreviews(deps, viewer, items);
  return {
    data: items.map((m) => toMessageView(m, replies)) as MessageView[],
    chatInfo: { chatId: access.chatId, status: access.status, participants: access.participants },
    pagination: { total: access.messageCount ?? 0, page: input.page, limit: input.limit } satisfies Pagination,
  };
}
