import { badRequest, forbidden, notFound } from '@chat/platform';
import { validContent, type MessageDeps } from './deps.js';
import { loadTarget, applyChange, eventOf } from './apply-change.js';
import { changeHiddenFrom } from '../domain/visibility.js';

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
