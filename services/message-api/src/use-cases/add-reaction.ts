import { changeHiddenFrom, reactionKey } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { loadTarget, applyChange, refuseBeyondReactionLimits, eventOf } from './apply-change.js';

export async function addReaction(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; messageId: string; emoji: string },
) {
  const target = await loadTarget(deps, userId, input.chatId, input.messageId, 'send');
  const { message } = target;
  const key = reactionKey(userId, input.emoji);
  let timestamp = new Date();
  // Adding the same reaction twice changes nothing (and publishes nothing).
  if (!message.reactionKeys.includes(key)) {
    await applyChange(deps, target, (rev, at, current) => {
      // Under the change lock, `current` holds every reaction: the limits cannot be raced past.
      refuseBeyondReactionLimits(current, userId, input.emoji);
      timestamp = at;
      const hiddenFrom = changeHiddenFrom(current, target.access);
      return {
        // Refused once deleted for everyone, or once the reaction is there.
        write: (ref, stamp) => deps.repo.addReaction(ref, stamp, { userId, emoji: input.emoji }),
        event: eventOf('reaction_added', message, {
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
