import { changeHiddenFrom, reactionKey } from '../domain/visibility.js';
import { REACTION_EMOJI_MAX, REACTIONS_PER_USER_MAX } from '@chat/contracts';
import { conflict } from '@chat/platform';
import type { StoredMessage } from '../domain/message.js';
import { type MessageDeps } from './deps.js';
import { loadTarget, applyChange, eventOf } from './message-change.js';

/** Adds the caller's reaction to a message they can see and may send to; adding it twice changes nothing. */
export async function addReaction(
  deps: MessageDeps,
  command: { userId: string; chatId: string; messageId: string; emoji: string },
) {
  const { userId } = command;
  const target = await loadTarget(deps, command, 'send');
  const { message } = target;
  const key = reactionKey(userId, command.emoji);
  let timestamp = new Date();
  // Adding the same reaction twice changes nothing (and publishes nothing).
  if (!message.reactionKeys.includes(key)) {
    await applyChange(deps, target, (rev, at, current) => {
      // Under the change lock, `current` holds every reaction: the limits cannot be raced past.
      refuseBeyondReactionLimits(current, userId, command.emoji);
      timestamp = at;
      const hiddenFrom = changeHiddenFrom(current, target.access);
      return {
        // Refused once deleted for everyone, or once the reaction is there.
        write: (ref, stamp) => deps.repo.addReaction(ref, stamp, { userId, emoji: command.emoji }),
        event: eventOf('reaction_added', message, {
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

/** At most 20 distinct emoji on a message and 10 reactions by one user on it (409). */
function refuseBeyondReactionLimits(message: StoredMessage, userId: string, emoji: string): void {
  const emojis = new Set(message.reactions.map((r) => r.emoji));
  if (!emojis.has(emoji) && emojis.size >= REACTION_EMOJI_MAX)
    throw conflict(`A message holds at most ${REACTION_EMOJI_MAX} different emoji`);
  if (message.reactions.filter((r) => r.userId === userId).length >= REACTIONS_PER_USER_MAX)
    throw conflict(`You can add at most ${REACTIONS_PER_USER_MAX} reactions to one message`);
}
