import type { MessageChanges, MessageView, Pagination, ReplyPreview } from '@chat/contracts';
import { notFound } from '@chat/platform';
import type { Cursor, StoredMessage } from '../data/messages.js';
import { toChange, toMessageView, toReplyPreview } from '../domain/views.js';
import { escapeRegex, type Viewer } from '../domain/visibility.js';
import { viewerOf, type MessageDeps } from './deps.js';

async function replyPreviews(
  deps: MessageDeps,
  viewer: Viewer,
  items: StoredMessage[],
): Promise<Map<string, ReplyPreview>> {
  const ids = [...new Set(items.map((m) => m.replyTo).filter((id): id is string => id !== null))];
  const replied = await deps.repo.findInChat(viewer.chatId, ids);
  return new Map(replied.map((r) => [r.id, toReplyPreview(r, viewer)]));
}

async function cursorOf(deps: MessageDeps, chatId: string, messageId: string | undefined): Promise<Cursor | undefined> {
  if (!messageId) return undefined;
  const [m] = await deps.repo.findInChat(chatId, [messageId]);
  if (!m) throw notFound('Cursor message not found in this chat');
  return { createdAt: m.createdAt, id: m.id };
}

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

/**
 * The catch-up feed: every message of the chat changed after `since`, in rev order, as the
 * viewer sees it now (tombstones for deleted or hidden ones). A client that stores `rev` and
 * asks again from it never misses a change: the feed never passes a rev still in flight.
 */
export async function listChanges(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; since: number; limit: number },
): Promise<MessageChanges> {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  // Stop below any rev still being written: a client must never step past a change that is
  // about to land with a smaller rev than one it was already given.
  const [limit, found] = await Promise.all([
    deps.numbers.feedLimit(access.chatId),
    deps.repo.changedSince(access.chatId, input.since, input.limit + 1),
  ]);
  const settled = found.filter((m) => m.rev <= limit);
  const hasMore = settled.length > input.limit || settled.length < found.length;
  const items = settled.slice(0, input.limit);
  const replies = await replyPreviews(deps, viewer, items);
  const last = items[items.length - 1];
  return {
    changes: items.map((m) => toChange(m, viewer, replies)),
    rev: last ? last.rev : input.since,
    hasMore,
  };
}
