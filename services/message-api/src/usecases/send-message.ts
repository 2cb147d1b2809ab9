import { randomUUID } from 'node:crypto';
import { ObjectId } from 'mongodb';
import type { CommandAck, Media, MessageType } from '@chat/contracts';
import { badRequest, notFound } from '@chat/platform';
import { messageEvent, encodeEvent } from '../bus/events.js';
import { oid, type StoredMessage } from '../data/messages.js';
import type { MessageDoc } from '../data/models.js';
import { validContent, viewerOf, type MessageDeps } from './deps.js';

export interface SendInput {
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
 * whatever happened to it since; the unique index makes that hold across replicas.
 */
export async function sendMessage(deps: MessageDeps, userId: string, input: SendInput): Promise<CommandAck> {
  const access = await deps.access.check(input.chatId, userId, 'send');
  const isMedia = input.messageType !== 'text';
  const content = isMedia
    ? input.content === undefined || input.content.trim() === ''
      ? ''
      : validContent(input.content, deps.contentMax, 'content')
    : validContent(input.content ?? '', deps.contentMax, 'content');
  const clientMessageId = input.clientMessageId ?? randomUUID();
  // A retry answers the first message even if its reply target or file has gone since.
  const earlier = input.clientMessageId
    ? await deps.repo.findByClientMessageId(access.chatId, userId, clientMessageId)
    : null;
  if (earlier) return duplicateAck(earlier);

  if (input.replyToId) {
    const replied = await deps.repo.visibleTo(viewerOf(access, userId)).findById(input.replyToId);
    if (!replied)
      throw badRequest('replyToId must be a message of this chat', [
        { field: 'replyToId', message: 'not a message of this chat' },
      ]);
  }
  let media: Media | null = null;
  if (isMedia) {
    if (!input.media)
      throw badRequest('media is required for a media message', [{ field: 'media', message: 'required' }]);
    const stored = await deps.access.mediaFile(input.media.fileId, access.chatId, userId);
    if (!stored) throw notFound('Media file not found: upload it to this chat first');
    // The server's file record is the truth (url, size, type); the client's copy is not trusted.
    media = stored;
  }

  const written = await deps.locks.run(
    access.chatId,
    async (): Promise<{ doc: MessageDoc } | { duplicate: StoredMessage }> => {
      // Under the chat lock: a retry finds the first message; the unique index stays the backstop.
      const raced = await deps.repo.findByClientMessageId(access.chatId, userId, clientMessageId);
      if (raced) return { duplicate: raced };
      const last = await deps.repo.lastNumbers(access.chatId);
      const doc = newMessage(
        {
          ...input,
          chatId: access.chatId,
          senderId: userId,
          receiverId: access.otherUserId,
          content,
          media,
          clientMessageId,
        },
        last,
      );
      if (await deps.repo.insert(doc)) return { doc };
      const first = await deps.repo.findByClientMessageId(access.chatId, userId, clientMessageId);
      if (!first) throw new Error('duplicate clientMessageId but no message found');
      return { duplicate: first };
    },
  );
  if ('duplicate' in written) return duplicateAck(written.duplicate);
  const { doc } = written;
  await deps.outbox.afterWrite(() => deps.outbox.flushMessage(access.chatId, doc._id.toHexString(), doc.pendingEvents));
  return { messageId: doc._id.toHexString(), chatId: access.chatId, timestamp: doc.createdAt.toISOString() };
}

/** The document of a new message numbered after `last`, carrying its `created` event. */
function newMessage(
  m: {
    chatId: string;
    senderId: string;
    receiverId: string;
    content: string;
    messageType: MessageType;
    media: Media | null;
    clientMessageId: string;
    replyToId?: string;
  },
  last: { seq: number; rev: number },
): MessageDoc {
  const id = new ObjectId();
  const now = new Date();
  const seq = last.seq + 1;
  const rev = last.rev + 1;
  const event = messageEvent('created', m.chatId, {
    messageId: id.toHexString(),
    rev,
    seq,
    senderId: m.senderId,
    receiverId: m.receiverId,
    content: m.content,
    messageType: m.messageType,
    media: m.media,
    clientMessageId: m.clientMessageId,
    replyTo: m.replyToId ?? null,
    createdAt: now.toISOString(),
  });
  return {
    _id: id,
    chatId: oid(m.chatId),
    senderId: oid(m.senderId),
    receiverId: oid(m.receiverId),
    content: m.content,
    messageType: m.messageType,
    media: m.media,
    clientMessageId: m.clientMessageId,
    seq,
    rev,
    isEdited: false,
    editedAt: null,
    readBy: [],
    deletedBy: [],
    deletedForEveryone: false,
    deletedAt: null,
    replyTo: m.replyToId ? oid(m.replyToId) : null,
    reactions: [],
    reactionKeys: [],
    pendingEvents: [encodeEvent(event)],
    outboxAt: now,
    createdAt: now,
    updatedAt: now,
  };
}
