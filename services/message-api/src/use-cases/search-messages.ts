import type { Pagination } from '@chat/contracts';
import { toMessageView } from '../domain/views.js';
import { escapeRegex } from '../domain/visibility.js';
import { viewerOf, type MessageDeps } from './deps.js';
import { replyPreviews } from './read-support.js';

/**
 * Endpoint 12: literal, case-insensitive substring of the content, newest first. The work is
 * bounded: one request examines the `searchWindow` newest messages by seq (below `beforeSeq`
 * when given); `window` says which seqs were examined and, when older ones remain, the
 * `beforeSeq` that continues the search from there.
 */
export async function searchMessages(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; q: string; page: number; limit: number; beforeSeq?: number },
) {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const to = input.beforeSeq !== undefined ? input.beforeSeq - 1 : await deps.numbers.highestSeq(access.chatId);
  const from = Math.max(1, to - deps.searchWindow + 1);
  const { items, total } =
    to < 1
      ? { items: [], total: 0 }
      : await deps.repo.visibleTo(viewer).page({
          contentPattern: escapeRegex(input.q),
          seqRange: { from, to },
          skip: (input.page - 1) * input.limit,
          limit: input.limit,
        });
  const replies = await replyPreviews(deps, viewer, items);
  const complete = from <= 1;
  return {
    data: items.map((m) => toMessageView(m, replies)),
    pagination: { total, page: input.page, limit: input.limit } satisfies Pagination,
    window: { fromSeq: from, toSeq: Math.max(to, 0), complete, beforeSeq: complete ? null : from },
  };
}
