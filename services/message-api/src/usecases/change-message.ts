import type { Filter, UpdateFilter } from 'mongodb';
import { REACTION_EMOJI_MAX, REACTIONS_PER_USER_MAX, type DeleteScope } from '@chat/contracts';
import { badRequest, checkDeadline, conflict, forbidden, notFound } from '@chat/platform';
import { encodeEvent, messageEvent, type EventData, type OutgoingEvent } from '../bus/events.js';
import type { ChatAction } from '../bus/access.js';
import { oid, type StoredMessage } from '../data/messages.js';
import type { MessageDoc } from '../data/models.js';
import { reactionKey, resolveDeleteScope, type Viewer } from '../domain/visibility.js';
import { validContent, viewerOf, type MessageDeps } from './deps.js';

/** The message `messageId` of `chatId` as the caller sees it, after checking the caller may `action` there. */
export async function loadTarget(
  deps: MessageDeps,
  userId: string,
  chatId: string,
  messageId: string,
  action: ChatAction,
) {
  const access = await deps.access.check(chatId, userId, action);
  const viewer = viewerOf(access, userId);
  const message = await deps.repo.visibleTo(viewer).findById(messageId);
  if (!message) throw notFound('Message not found in this chat');
  return { access, viewer, message };
}

/**
 * Writes one change to one message under the chat's change lock (FerretDB loses concurrent
 * updates of one document): the next rev, `update` applied only if `condition` still holds, the
 * event stored by the same update; then publishes it in the background.
 * Returns false when the condition no longer held (nothing written, no event).
 */
export async function applyChange(
  deps: MessageDeps,
  target: { viewer: Viewer; message: StoredMessage },
  condition: Filter<MessageDoc>,
  change: (
    rev: number,
    at: Date,
    current: StoredMessage,
  ) => { update: UpdateFilter<MessageDoc>; event: OutgoingEvent } | null,
): Promise<boolean> {
  const { chatId } = target.viewer;
  const written = await deps.locks.run(chatId, async () => {
    checkDeadline();
    // Read again under the lock: what the change depends on may have changed meanwhile.
    const current = await deps.repo.visibleTo(target.viewer).findById(target.message.id);
    if (!current) return null;
    return deps.numbers.withRevs(chatId, 1, async (revs) => {
      const [rev] = revs as [number];
      const at = new Date();
      const planned = change(rev, at, current);
      if (!planned) return null;
      const { update, event } = planned;
      const raw = encodeEvent(event);
      const matched = await deps.repo.update(chatId, target.message.id, condition, {
        ...update,
        $set: { ...(update.$set ?? {}), updatedAt: at, rev, outboxPending: true },
        $push: { ...(update.$push ?? {}), pendingEvents: raw },
        $min: { outboxAt: at },
      });
      return matched ? raw : null;
    });
  });
  if (written) void deps.outbox.background(deps.outbox.flushMessage(chatId, target.message.id, [written]));
  return written !== null;
}

export async function editMessage(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; messageId: string; newContent: string },
) {
  const target = await loadTarget(deps, userId, input.chatId, input.messageId, 'send');
  const { message } = target;
  if (message.senderId !== userId) throw forbidden('Only the sender can edit this message');
  if (message.messageType !== 'text') throw badRequest('Only text messages can be edited');
  const newContent = validContent(input.newContent, deps.contentMax, 'newContent');
  let editedAt = new Date();
  const ok = await applyChange(
    deps,
    target,
    { senderId: oid(userId), messageType: 'text', deletedForEveryone: { $ne: true } },
    (rev, at) => {
      editedAt = at;
      return {
        update: { $set: { content: newContent, isEdited: true, editedAt: at } },
        event: eventOf('edited', message, { rev, newContent, editedAt: at.toISOString(), editedBy: userId }),
      };
    },
  );
  if (!ok) throw notFound('Message not found in this chat');
  return {
    messageId: message.id,
    chatId: message.chatId,
    timestamp: editedAt.toISOString(),
    newContent,
    editedAt: editedAt.toISOString(),
  };
}

export async function deleteMessage(
  deps: MessageDeps,
  userId: string,
  input: { chatId: string; messageId: string; scope?: DeleteScope },
) {
  const target = await loadTarget(deps, userId, input.chatId, input.messageId, 'read');
  const { message } = target;
  const scope = resolveDeleteScope(input.scope, message.senderId === userId);
  if (scope === 'forbidden') throw forbidden('Only the sender can delete this message for everyone');
  const wasUnread = !message.readBy.some((r) => r.userId === message.receiverId);
  const common = {
    deletedBy: userId,
    scope,
    senderId: message.senderId,
    receiverId: message.receiverId,
    wasUnread,
    createdAt: message.createdAt.toISOString(),
    alreadyHiddenFor: message.deletedBy,
  };
  let timestamp = new Date();
  const ok =
    scope === 'everyone'
      ? await applyChange(deps, target, { deletedForEveryone: { $ne: true } }, (rev, at) => {
          timestamp = at;
          return {
            update: { $set: { deletedForEveryone: true, deletedAt: at } },
            event: eventOf('deleted', message, { rev, ...common }),
          };
        })
      : await applyChange(deps, target, { deletedBy: { $ne: oid(userId) } }, (rev, at) => {
          timestamp = at;
          return {
            update: { $push: { deletedBy: oid(userId) } },
            event: eventOf('deleted', message, { rev, ...common }),
          };
        });
  if (!ok) throw notFound('Message not found in this chat');
  return { messageId: message.id, chatId: message.chatId, timestamp: timestamp.toISOString(), scope };
}

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
    await applyChange(
      deps,
      target,
      { deletedForEveryone: { $ne: true }, reactionKeys: { $ne: key } },
      (rev, at, current) => {
        // Under the change lock, `current` holds every reaction: the limits cannot be raced past.
        refuseBeyondReactionLimits(current, userId, input.emoji);
        timestamp = at;
        return {
          update: {
            $push: { reactions: { userId: oid(userId), emoji: input.emoji, createdAt: at }, reactionKeys: key },
          },
          event: eventOf('reaction_added', message, { rev, userId, emoji: input.emoji, timestamp: at.toISOString() }),
        };
      },
    );
  }
  return { messageId: message.id, chatId: message.chatId, timestamp: timestamp.toISOString(), emoji: input.emoji };
}

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
    await applyChange(deps, target, { reactionKeys: key }, (rev, at, current) => {
      const existing = current.reactions.find((r) => r.userId === userId && r.emoji === input.emoji);
      if (!existing) return null;
      timestamp = at;
      // The exact stored entry (same field order): FerretDB only $pulls by equality.
      const entry = { userId: oid(userId), emoji: existing.emoji, createdAt: existing.createdAt };
      return {
        update: { $pullAll: { reactions: [entry], reactionKeys: [key] } },
        event: eventOf('reaction_removed', message, { rev, userId, emoji: input.emoji, timestamp: at.toISOString() }),
      };
    });
  }
  return { messageId: message.id, chatId: message.chatId, timestamp: timestamp.toISOString(), emoji: input.emoji };
}

/** API.md: at most 20 distinct emoji on a message and 10 reactions by one user on it (409). */
function refuseBeyondReactionLimits(message: StoredMessage, userId: string, emoji: string): void {
  const emojis = new Set(message.reactions.map((r) => r.emoji));
  if (!emojis.has(emoji) && emojis.size >= REACTION_EMOJI_MAX)
    throw conflict(`A message holds at most ${REACTION_EMOJI_MAX} different emoji`);
  if (message.reactions.filter((r) => r.userId === userId).length >= REACTIONS_PER_USER_MAX)
    throw conflict(`You can add at most ${REACTIONS_PER_USER_MAX} reactions to one message`);
}

type PerMessage = 'edited' | 'deleted' | 'reaction_added' | 'reaction_removed';
function eventOf<T extends PerMessage>(
  type: T,
  message: StoredMessage,
  data: Omit<EventData<T>, 'messageId'>,
): OutgoingEvent {
  return messageEvent(type, message.chatId, { messageId: message.id, ...data } as EventData<T>);
}
