import type { MessageChanges } from '@chat/contracts';
import { toChange } from '../domain/views.js';
import { viewerOf, type MessageDeps } from './deps.js';
import { replyPreviews } from './read-support.js';

/** Rev blocks one request reads at most: a feed over a long run of superseded revs answers in steps. */
const FEED_MAX_BLOCKS = 16;

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
  // about to land with a smaller rev than one it was already given. Both are read before the
  // store, so a rev handed out by then is either found there or still in flight.
  const [limit, highest] = await Promise.all([
    deps.numbers.feedLimit(access.chatId),
    deps.numbers.highest(access.chatId),
  ]);
  const { items: found, examined } = await deps.repo.changedSince(access.chatId, {
    since: input.since,
    top: highest.rev,
    limit: input.limit,
    maxBlocks: FEED_MAX_BLOCKS,
  });
  const settled = found.filter((m) => m.rev <= limit);
  const cut = settled.length > input.limit;
  const items = settled.slice(0, input.limit);
  const replies = await replyPreviews(deps, viewer, items);
  // Past the last change shown when nothing was cut: every rev up to there was examined and
  // none is in flight, so the next call need not read those blocks again.
  const rev = cut ? (items[items.length - 1]?.rev ?? input.since) : Math.max(input.since, Math.min(examined, limit));
  return {
    changes: items.map((m) => toChange(m, viewer, replies)),
    rev,
    hasMore: cut || settled.length < found.length || rev < highest.rev,
  };
}
