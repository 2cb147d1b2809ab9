import type { MessageChanges } from '@chat/contracts';
import { toChange } from '../domain/views.js';
import { viewerOf } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { replyPreviews } from './reply-previews.js';

/** Rev blocks one request reads at most: a feed over a long run of superseded revs answers in steps. */
const FEED_MAX_BLOCKS = 16;

/**
 * The catch-up feed: every message of the chat changed after `since`, in rev order, as the
 * viewer sees it now (tombstones for deleted or hidden ones). A client that stores `rev` and
 * asks again from it never misses a change: the feed never passes a rev still in flight.
 */
export async function listChanges(
  deps: MessageDeps,
  command: { userId: string; chatId: string; since: number; limit: number },
): Promise<MessageChanges> {
  const access = await deps.access.check(command.chatId, command.userId, 'read');
  const viewer = viewerOf(access, command.userId);
  // Stop below any rev still being written: a client must never step past a change that is
  // about to land with a smaller rev than one it was already given. Both are read before the
  // store, so a rev handed out by then is either found there or still in flight.
  const [limit, highest] = await Promise.all([
    deps.numbers.feedLimit(access.chatId),
    deps.numbers.highest(access.chatId),
  ]);
  const { items: found, examined } = await deps.repo.changedSince(access.chatId, {
    since: command.since,
    top: highest.rev,
    limit: command.limit,
    maxBlocks: FEED_MAX_BLOCKS,
  });
  const settled = found.filter((m) => m.rev <= limit);
  const cut = settled.length > command.limit;
  const items = settled.slice(0, command.limit);
  const replies = await replyPreviews(deps, viewer, items);
  // Past the last change shown when nothing was cut: every rev up to there was examined and
  // none is in flight, so the next call need not read those blocks again.
  const rev = cut
    ? (items[items.length - 1]?.rev ?? command.since)
    : Math.max(command.since, Math.min(examined, limit));
  return {
    changes: items.map((m) => toChange(m, viewer, replies)),
    rev,
    hasMore: cut || settled.length < found.length || rev < highest.rev,
  };
}
