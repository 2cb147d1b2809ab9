import { badRequest, forbidden, notFound } from '@chat/platform';
import { type MessageDeps } from './deps.js';
import { validContent } from './valid-content.js';
import { loadTarget, applyChange, eventOf } from './message-change.js';
import { changeHiddenFrom } from '../domain/visibility.js';

/** Replaces the text of the caller's own text message. */
export async function editMessage(
  deps: MessageDeps,
  command: { userId: string; chatId: string; messageId: string; newContent: string },
) {
  const { userId } = command;
  const target = await loadTarget(deps, command, 'send');
  const { message } = target;
  if (message.senderId !== userId) throw forbidden('Only the sender can edit this message');
  if (message.messageType !== 'text') throw badRequest('Only text messages can be edited');
  const newContent = validContent(command.newContent, deps.contentMax, 'newContent');
  let editedAt = new Date();
  const ok = await applyChange(deps, target, (rev, at, current) => {
    editedAt = at;
    const hiddenFrom = changeHiddenFrom(current, target.access);
    return {
      // Refused once deleted for everyone (only its sender edits, only text).
      write: (ref, stamp) => deps.repo.edit(ref, stamp, { editorId: userId, content: newContent }),
      event: eventOf('edited', message, {
        rev,
        newContent,
        editedAt: at.toISOString(),
        editedBy: userId,
        ...(hiddenFrom.length > 0 && { hiddenFrom }),
      }),
    };
  });
  if (!ok) throw notFound('Message not found in this chat');
  return {
    messageId: message.id,
    chatId: message.chatId,
    timestamp: editedAt.toISOString(),
    newContent,
    editedAt: editedAt.toISOString(),
  };
}
