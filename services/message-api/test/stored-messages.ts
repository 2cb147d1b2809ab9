import { ObjectId } from 'mongodb';
import { blockFields } from '../src/domain/message-blocks.js';

/**
 * `count` text messages of one chat as the store holds them (seq and rev 1..count, a second
 * apart, ending now), for tests that build a history without sending it. `blocks: false` leaves
 * out `seqBlock` / `revBlock`, as versions before blocks stored messages.
 */
export function storedMessages(
  chatId: string,
  count: number,
  opts: { from: (i: number) => string; to: (i: number) => string; blocks?: boolean },
) {
  const start = Date.now() - count * 1_000;
  return Array.from({ length: count }, (_, i) => {
    const createdAt = new Date(start + i * 1_000);
    return {
      _id: new ObjectId(),
      chatId: new ObjectId(chatId),
      senderId: new ObjectId(opts.from(i)),
      receiverId: new ObjectId(opts.to(i)),
      content: `stored ${i + 1}`,
      messageType: 'text',
      media: null,
      clientMessageId: `stored-${chatId}-${i}`,
      seq: i + 1,
      rev: i + 1,
      ...(opts.blocks === false ? {} : blockFields(chatId, i + 1, i + 1)),
      isEdited: false,
      editedAt: null,
      readBy: [],
      deletedBy: [],
      deletedForEveryone: false,
      deletedAt: null,
      replyTo: null,
      reactions: [],
      reactionKeys: [],
      pendingEvents: [],
      createdAt,
      updatedAt: createdAt,
    };
  });
}
