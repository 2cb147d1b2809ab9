import { type DeleteScope } from '@chat/contracts';
import { forbidden, notFound } from '@chat/platform';
import { oid } from '../data/message-repository.js';
import { resolveDeleteScope } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { loadTarget, applyChange, eventOf } from './apply-change.js';

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
