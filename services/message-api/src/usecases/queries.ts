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

/** Endpoint 12: literal, case-insensitive substring of the content, newest first. */
export async function searchMessages(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; q: string; page: number; limit: number },
) {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const { items, total } = await deps.repo
    .visibleTo(viewer)
    .page({ contentPattern: escapeRegex(input.q), skip: (input.page - 1) * input.limit, limit: input.limit });
  const replies = await replyPreviews(deps, viewer, items);
  return {
    data: items.map((m) => toMessageView(m, replies)),
    pagination: { total, page: input.page, limit: input.limit } satisfies Pagination,
  };
}

/**
 * The catch-up feed: every message of the chat changed after `since`, in rev order, as the
 * viewer sees it now (tombstones for deleted or hidden ones). Revs are handed out under the
 * chat lock and written before the next one, so a client that stores `rev` and asks again
 * from it never misses a change.
 */
export async function listChanges(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; since: number; limit: number },
): Promise<MessageChanges> {
  const access = await deps.access.check(input.chatId, userId, 'read');
  const viewer = viewerOf(access, userId);
  const found = await deps.repo.changedSince(access.chatId, input.since, input.limit + 1);
  const hasMore = found.length > input.limit;
  const items = found.slice(0, input.limit);
  const replies = await replyPreviews(deps, viewer, items);
  const last = items[items.length - 1];
  return {
    changes: items.map((m) => toChange(m, viewer, replies)),
    rev: last ? last.rev : input.since,
    hasMore,
  };
}
