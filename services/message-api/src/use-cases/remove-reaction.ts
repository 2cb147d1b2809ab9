import { changeHiddenFrom, reactionKey } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { loadTarget, applyChange, eventOf } from './message-change.js';

/** Removes the caller's reaction from a message; removing one that is not there changes nothing. */
export async function removeReaction(
  deps: MessageDeps,
  command: { userId: string; chatId: string; messageId: string; emoji: string },
) {
  const { userId } = command;
  const target = await loadTarget(deps, command, 'send');
  const { message } = target;
  const key = reactionKey(userId, command.emoji);
  let timestamp = new Date();
  // Removing a reaction that is not there changes nothing (and publishes nothing).
  if (message.reactionKeys.includes(key)) {
    await applyChange(deps, target, (rev, at, current) => {
      const existing = current.reactions.find((r) => r.userId === userId && r.emoji === command.emoji);
      if (!existing) return null;
      timestamp = at;
      const hiddenFrom = changeHiddenFrom(current, target.access);
      return {
        write: (ref, stamp) => deps.repo.removeReaction(ref, stamp, existing),
        event: eventOf('reaction_removed', message, {
          rev,
          userId,
          emoji: command.emoji,
          timestamp: at.toISOString(),
          ...(hiddenFrom.length > 0 && { hiddenFrom }),
        }),
      };
    });
  }
  return { messageId: message.id, chatId: message.chatId, timestamp: timestamp.toISOString(), emoji: command.emoji };
}
