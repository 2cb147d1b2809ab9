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

  const earlier = await deps.repo.findByClientMessageId(access.chatId, userId, clientMessageId);
  if (earlier) return duplicateAck(earlier);

  if (input.replyToId) {
    const replied = await deps.repo.visibleTo(viewerOf(access, userId)).findById(input.replyToId);
    if (!replied) throw badRequest('replyToId must be a message of this chat', [{ field: 'replyToId', message: 'not a message of this chat' }]);
  }
  let media: Media | null = null;
  if (isMedia) {
    if (!input.media) throw badRequest('media is required for a media message', [{ field: 'media', message: 'required' }]);
    const stored = await deps.access.mediaFile(input.media.fileId, access.chatId, userId);
    if (!stored) throw notFound('Media file not found: upload it to this chat first');
    // The server's file record is the truth (url, size, type); the client's copy is not trusted.
    media = stored;
  }

  const allocation = await deps.counters.allocate(access.chatId, { seq: true, revs: 1 });
  const id = new ObjectId();
  const now = new Date();
  const rev = allocation.revs[0] as number;
  const seq = allocation.seq as number;
  const event = messageEvent('created', access.chatId, {
    messageId: id.toHexString(),
    rev,
    seq,
    senderId: userId,
    receiverId: access.otherUserId,
    content,
    messageType: input.messageType,
    media,
    clientMessageId,
    replyTo: input.replyToId ?? null,
    createdAt: now.toISOString(),
  });
  const doc: MessageDoc = {
    _id: id,
    chatId: oid(access.chatId),
    senderId: oid(userId),
    receiverId: oid(access.otherUserId),
    content,
    messageType: input.messageType,
    media,
    clientMessageId,
    seq,
    rev,
    isEdited: false,
    editedAt: null,
    readBy: [],
    deletedBy: [],
    deletedForEveryone: false,
    deletedAt: null,
    replyTo: input.replyToId ? oid(input.replyToId) : null,
    reactions: [],
    reactionKeys: [],
    pendingEvents: [encodeEvent(event)],
    outboxAt: now,
    createdAt: now,
    updatedAt: now,
  };
  let inserted: boolean;
  try {
    inserted = await deps.repo.insert(doc);
  } finally {
    await deps.counters.release(allocation);
  }
  if (!inserted) {
    // A concurrent retry won the unique index: answer its message (our seq is skipped).
    const first = await deps.repo.findByClientMessageId(access.chatId, userId, clientMessageId);
    if (!first) throw new Error('duplicate clientMessageId but no message found');
    return duplicateAck(first);
  }
  await deps.outbox.flushMessage(doc._id.toHexString(), doc.pendingEvents);
  return { messageId: id.toHexString(), chatId: access.chatId, timestamp: now.toISOString() };
}
