import type { ChatDeps } from './deps.js';

/** Chats one relay pass looks at, at most; the rest wait for the next pass. */
const CHATS_PER_PASS = 500;

/**
 * One relay pass: publishes what stayed in outboxes (a failed publish, a crashed writer) for
 * `staleMs`. Fresh entries are their writer's, which publishes them before it lets go of the
 * chat; the pass drains a chat under the same lock, so it never publishes alongside a writer.
 * Answers when the oldest stale entry it found was written (undefined: none), for the outbox's age.
 */
export async function relayStaleChatEvents(deps: ChatDeps, command: { staleMs: number }): Promise<Date | undefined> {
  const cutoff = new Date(deps.now().getTime() - command.staleMs);
  let oldest: Date | undefined;
  for (const chat of await deps.chats.withPendingOutbox(CHATS_PER_PASS)) {
    const stale = chat.outbox.filter((e) => new Date(e.at) < cutoff);
    for (const e of stale) if (!oldest || new Date(e.at) < oldest) oldest = new Date(e.at);
    // A flag left up over an empty outbox would be read on every pass: the drain lowers it.
    if (chat.outbox.length === 0 || stale.length > 0) await deps.chats.drain(chat.id);
  }
  return oldest;
}
