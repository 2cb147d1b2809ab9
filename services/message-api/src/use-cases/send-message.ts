import { randomUUID } from 'node:crypto';
import type { ChatAccess, CommandAck, Media, MessageType } from '@chat/contracts';
import { badRequest, currentContext, notFound, unavailable } from '@chat/platform';
import { type StoredMessage } from '../domain/message.js';
import type { Draft } from '../data/message-writer.js';
import { viewerOf } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';
import { validContent } from './valid-content.js';

/** A text or media message to send, by the caller `userId`. */
export interface SendMessageCommand {
  userId: string;
  chatId: string;
  content?: string;
  messageType: MessageType;
  media?: Media;
  replyToId?: string;
  clientMessageId?: string;
}

const duplicateAck = (m: StoredMessage): CommandAck => ({
  messageId: m.id,
  chatId: m.chatId,
  timestamp: m.createdAt.toISOString(),
  duplicate: true,
});

/**
 * Stores a text or media message and publishes `created`. A repeat of the same sender's
 * `clientMessageId` in the chat stores nothing and answers the first message (duplicate: true),
 * whatever happened to it since; the unique index makes that hold across replicas. The answer
 * means the message is durable; a send whose caller gave up before its batch was written is
 * not stored at all.
 */
export async function sendMessage(deps: MessageDeps, command: SendMessageCommand): Promise<CommandAck> {
  const { userId } = command;
  let access: Awaited<ReturnType<MessageDeps['access']['check']>>;
  try {
    access = await deps.access.check(command.chatId, userId, 'send');
  } catch (err) {
    // A retry of a send that was stored is answered with it even if the chat was blocked or
    // rejected since (the sender's own message: nothing is revealed).
    const earlier = command.clientMessageId
      ? await deps.repo.findByClientMessageId(command.chatId, userId, command.clientMessageId)
      : null;
    if (earlier) return duplicateAck(earlier);
    throw err;
  }
  const clientMessageId = command.clientMessageId ?? randomUUID();
  const firstSend = async () =>
    command.clientMessageId ? deps.repo.findByClientMessageId(access.chatId, userId, clientMessageId) : null;

  let draft: Draft;
  try {
    draft = await draftOf(deps, command, { ...access, clientMessageId });
  } catch (err) {
    // A retry answers the first message even if its reply target or file has gone since.
    const earlier = await firstSend();
    if (earlier) return duplicateAck(earlier);
    throw err;
  }
  const outcome = await deps.writer.write(draft, currentContext()?.deadline);
  switch (outcome.kind) {
    case 'stored':
      return {
        messageId: outcome.message.id,
        chatId: access.chatId,
        timestamp: outcome.message.createdAt.toISOString(),
      };
    case 'duplicate': {
      const first = await firstSend();
      if (!first) throw new Error('duplicate clientMessageId but no message found');
      return duplicateAck(first);
    }
    case 'expired':
      throw unavailable('The send timed out before it was stored, try again');
    case 'refused':
      throw new Error(`the store refused a message of chat ${access.chatId}`);
  }
}

/** The validated new message, before numbering; throws 400 / 404 for a bad reply target or file. */
async function draftOf(
  deps: MessageDeps,
  command: SendMessageCommand,
  chat: ChatAccess & { clientMessageId: string },
): Promise<Draft> {
  const { userId } = command;
  const isMedia = command.messageType !== 'text';
  const content =
    isMedia && (command.content === undefined || command.content.trim() === '')
      ? ''
      : validContent(command.content ?? '', deps.contentMax, 'content');
  if (command.replyToId) {
    const replied = await deps.repo.visibleTo(viewerOf(chat, userId)).findById(command.replyToId);
    if (!replied)
      throw badRequest('replyToId must be a message of this chat', [
        { field: 'replyToId', message: 'not a message of this chat' },
      ]);
  }
  let media: Media | null = null;
  if (isMedia) {
    if (!command.media)
      throw badRequest('media is required for a media message', [{ field: 'media', message: 'required' }]);
    // The server's file record is the truth (url, size, type); the client's copy is not trusted.
    const file = await deps.access.mediaFile(command.media.fileId, chat.chatId, userId);
    if (!file) throw notFound('Media file not found: upload it to this chat first');
    // The type comes from the file's bytes, not from the client: a file is never shown as an image.
    if (file.messageType !== command.messageType)
      throw badRequest(`messageType must be '${file.messageType}' for this file`, [
        { field: 'messageType', message: `the file was detected as ${file.messageType}` },
      ]);
    media = file.media;
  }
  return {
    chatId: chat.chatId,
    senderId: userId,
    receiverId: chat.otherUserId,
    content,
    messageType: command.messageType,
    media,
    clientMessageId: chat.clientMessageId,
    replyTo: command.replyToId ?? null,
  };
}
