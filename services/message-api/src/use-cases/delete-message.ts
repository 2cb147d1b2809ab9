import { type DeleteScope } from '@chat/contracts';
import { forbidden, notFound } from '@chat/platform';
import { resolveDeleteScope } from '../domain/visibility.js';
import type { StoredMessage } from '../domain/message.js';
import { type MessageDeps } from './deps.js';
import { loadTarget, applyChange, eventOf } from './message-change.js';

/** Deletes a message for everyone (its sender only: a tombstone) or hides it for the caller (`me`). */
export async function deleteMessage(
  deps: MessageDeps,
  command: { userId: string; chatId: string; messageId: string; scope?: DeleteScope },
) {
  const { userId } = command;
  const target = await loadTarget(deps, command, 'read');
  const { message } = target;
  const scope = resolveDeleteScope(command.scope, message.senderId === userId);
  if (scope === 'forbidden') throw forbidden('Only the sender can delete this message for everyone');
  // Whether the receiver had read it, and who had hidden it, are decided from the message as
  // it is under the chat lock: a read landing between the load and the lock counts once.
  const commonOf = (current: StoredMessage) => ({
    deletedBy: userId,
    scope,
    senderId: current.senderId,
    receiverId: current.receiverId,
    wasUnread: !current.readBy.some((r) => r.userId === current.receiverId),
    createdAt: current.createdAt.toISOString(),
    alreadyHiddenFor: current.deletedBy,
    seq: current.seq,
    messageType: current.messageType,
  });
  let timestamp = new Date();
  const ok =
    scope === 'everyone'
      ? await applyChange(deps, target, (rev, at, current) => {
          timestamp = at;
          // The tombstone keeps ids, numbers and times, nothing of what was said or sent; the
          // file goes too: the event names it, and the eraser has media-service delete it.
          const fileId = current.media?.fileId;
          return {
            write: (ref, stamp) => deps.repo.tombstone(ref, stamp),
            event: eventOf('deleted', message, { rev, ...commonOf(current), ...(fileId ? { fileId } : {}) }),
          };
        })
      : await applyChange(deps, target, (rev, at, current) => {
          timestamp = at;
          return {
            write: (ref, stamp) => deps.repo.hideFor(ref, stamp, userId),
            event: eventOf('deleted', message, { rev, ...commonOf(current) }),
          };
        });
  if (!ok) throw notFound('Message not found in this chat');
  return { messageId: message.id, chatId: message.chatId, timestamp: timestamp.toISOString(), scope };
}
