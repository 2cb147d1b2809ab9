import { changeHiddenFrom, reactionKey } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { loadTarget, applyChange, eventOf } from './apply-change.js';

export async function removeReaction(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; messageId: string; emoji: string },
) {
  const target = await loadTarget(deps, userId, input.chatId, input.messageId, 'send');
  const { message } = target;
  const key = reactionKey(userId, input.emoji);
  let timestamp = new Date();
  // Removing a reaction that is not there changes nothing (and publishes nothing).
  if (message.reactionKeys.includes(key)) {
    await applyChange(deps, target, (rev, at, current) => {
      const existing = current.reactions.find((r) => r.userId === userId && r.emoji === input.emoji);
      if (!existing) return null;
      timestamp = at;
      const hiddenFrom = changeHiddenFrom(current, target.access);
      return {
        write: (ref, stamp) => deps.repo.removeReaction(ref, stamp, existing),
        event: eventOf('reaction_removed', message, {
          rev,
          userId,
          emoji: input.emoji,
          timestamp: at.toISOString(),
          ...(hiddenFrom.length > 0 && { hiddenFrom }),
        }),
      };
    });
  }
  return { messageId: message.id, chatId: message.chatId, timestamp: timestamp.toISOString(), emoji: input.emoji };
}
