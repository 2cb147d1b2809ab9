import type { Pagination } from '@chat/contracts';
import { toMessageView } from '../domain/views.js';
import { escapeRegex, viewerOf } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { replyPreviews } from './reply-previews.js';

/**
 * Endpoint 12: literal, case-insensitive substring of the content, newest first. The work is
 * bounded: one request examines the chat's messages newest first by seq (below `beforeSeq` when
 * given), block by block, until the page is full or `searchWindow` messages were examined;
 * `window` says which seqs were examined and, when older ones remain, the `beforeSeq` that
 * continues the search from there; `total` counts the matches among them.
 */
export async function searchMessages(
  deps: MessageDeps,
  command: { userId: string; chatId: string; q: string; page: number; limit: number; beforeSeq?: number },
) {
  const access = await deps.access.check(command.chatId, command.userId, 'read');
  const viewer = viewerOf(access, command.userId);
  const to = command.beforeSeq !== undefined ? command.beforeSeq - 1 : (await deps.numbers.highest(access.chatId)).seq;
  const pattern = new RegExp(escapeRegex(command.q), 'i');
  const walked = await deps.repo.visibleTo(viewer).walk({
    direction: 'older',
    from: to + 1,
    bound: Math.max(1, to - deps.searchWindow + 1),
    skip: (command.page - 1) * command.limit,
    limit: command.limit,
    accept: (m) => pattern.test(m.content),
  });
  const replies = await replyPreviews(deps, viewer, walked.items);
  const from = to < 1 ? 1 : walked.reached;
  const complete = from <= 1 || walked.clearedBeyond;
  return {
    data: walked.items.map((m) => toMessageView(m, replies)),
    pagination: { total: walked.counted, page: command.page, limit: command.limit } satisfies Pagination,
    window: { fromSeq: from, toSeq: Math.max(to, 0), complete, beforeSeq: complete ? null : from },
  };
}
