import type { MessageChanges } from '@chat/contracts';
import { toChange } from '../domain/views.js';
import { viewerOf, type MessageDeps } from './deps.js';
import { replyPreviews } from './read-support.js';

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
