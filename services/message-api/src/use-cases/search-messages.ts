import type { Pagination } from '@chat/contracts';
import { toMessageView } from '../domain/views.js';
import { escapeRegex } from '../domain/visibility.js';
import { viewerOf, type MessageDeps } from './deps.js';
import { replyPreviews } from './read-support.js';

/**
 * Endpoint 12: literal, case-insensitive substring of the content, newest first. The work is
 * bounded: one request examines the chat's messages newest first by seq (below `beforeSeq` when
 * given), block by block, until the page is full or `searchWindow` messages were examined;
 * `window` says which seqs were examined and, when older ones remain, the `beforeSeq` that
 * continues the search from there; `total` counts the matches among them.
 */
export async function searchMessages(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; q: string; page: number; limit: number; beforeSeq?: number },
) {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const to = input.beforeSeq !== undefined ? input.beforeSeq - 1 : (await deps.numbers.highest(access.chatId)).seq;
  const pattern = new RegExp(escapeRegex(input.q), 'i');
  const walked = await deps.repo.visibleTo(viewer).walk({
    direction: 'older',
    from: to + 1,
    bound: Math.max(1, to - deps.searchWindow + 1),
    skip: (input.page - 1) * input.limit,
    limit: input.limit,
    accept: (m) => pattern.test(m.content),
  });
  const replies = await replyPreviews(deps, viewer, walked.items);
  const from = to < 1 ? 1 : walked.reached;
  const complete = from <= 1 || walked.clearedBeyond;
  return {
    data: walked.items.map((m) => toMessageView(m, replies)),
    pagination: { total: walked.counted, page: input.page, limit: input.limit } satisfies Pagination,
    window: { fromSeq: from, toSeq: Math.max(to, 0), complete, beforeSeq: complete ? null : from },
  };
}
