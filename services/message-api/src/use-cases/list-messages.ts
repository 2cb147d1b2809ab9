import type { MessageView, Pagination } from '@chat/contracts';
import { toMessageView } from '../domain/views.js';
import { viewerOf, type MessageDeps } from './deps.js';
import { replyPreviews, cursorOf } from './read-support.js';

/** Endpoint 11: newest first by page, or older than `before` (newest first) / newer than `after` (oldest first). */
export async function listMessages(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; page: number; limit: number; before?: string; after?: string },
) {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const [before, after] = await Promise.all([
    cursorOf(deps, access.chatId, input.before),
    cursorOf(deps, access.chatId, input.after),
  ]);
  const { items, total } = await deps.repo
    .visibleTo(viewer)
    .page({ before, after, skip: (input.page - 1) * input.limit, limit: input.limit });
  const replies = await replyPreviews(deps, viewer, items);
  return {
    data: items.map((m) => toMessageView(m, replies)) as MessageView[],
    chatInfo: { chatId: access.chatId, status: access.status, participants: access.participants },
    pagination: { total, page: input.page, limit: input.limit } satisfies Pagination,
  };
}
