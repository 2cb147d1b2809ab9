import { Schema, type Connection } from 'mongoose';
import type { Collection, ObjectId } from 'mongodb';
import type { Media, MessageType } from '@chat/contracts';

/** A message as stored. Ids are ObjectIds; `pendingEvents` is the outbox (JSON strings, see bus/outbox.ts). */
export interface MessageDoc {
  _id: ObjectId;
  chatId: ObjectId;
  senderId: ObjectId;
  receiverId: ObjectId;
  content: string;
  messageType: MessageType;
  media: Media | null;
  clientMessageId: string;
  /** Increasing within the chat (not dense: a refused or duplicate send may skip one). */
  seq: number;
  /** The chat's change number of this message's latest change. */
  rev: number;
  isEdited: boolean;
  editedAt: Date | null;
  readBy: { userId: ObjectId; readAt: Date }[];
  deletedBy: ObjectId[];
  deletedForEveryone: boolean;
  deletedAt: Date | null;
  replyTo: ObjectId | null;
  reactions: { userId: ObjectId; emoji: string; createdAt: Date }[];
  /** `<userId>:<emoji>` per reaction: lets one conditional update keep reactions unique. */
  reactionKeys: string[];
  /** Events written with this change and not yet confirmed published. */
  pendingEvents: string[];
  /** Set while `pendingEvents` may be non-empty: what the outbox relay scans. */
  outboxAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** A `read` event to publish, kept until published (a read touches many messages). */
export interface ReadOutboxDoc {
  _id: string; // the event id
  chatId: ObjectId;
  readerId: ObjectId;
  messageIds: ObjectId[];
  revs: number[];
  readAt: Date;
  clearedAt: Date | null;
  createdAt: Date;
}

const messageSchema = new Schema(
  {
    chatId: { type: Schema.Types.ObjectId, required: true },
    senderId: { type: Schema.Types.ObjectId, required: true },
    receiverId: { type: Schema.Types.ObjectId, required: true },
    content: { type: String, default: '' },
    messageType: { type: String, enum: ['text', 'image', 'video', 'file'], required: true },
    media: { type: Schema.Types.Mixed, default: null },
    clientMessageId: { type: String, required: true },
    seq: { type: Number, required: true },
    rev: { type: Number, required: true },
    isEdited: { type: Boolean, default: false },
    editedAt: { type: Date, default: null },
    readBy: [{ _id: false, userId: Schema.Types.ObjectId, readAt: Date }],
    deletedBy: [Schema.Types.ObjectId],
    deletedForEveryone: { type: Boolean, default: false },
    deletedAt: { type: Date, default: null },
    replyTo: { type: Schema.Types.ObjectId, default: null },
    reactions: [{ _id: false, userId: Schema.Types.ObjectId, emoji: String, createdAt: Date }],
    reactionKeys: [String],
    pendingEvents: [String],
    outboxAt: { type: Date },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'messages', versionKey: false },
);
// GET /messages (newest first, before/after cursors), /search and visible counts, all per chat.
messageSchema.index({ chatId: 1, createdAt: -1, _id: -1 });
// Idempotent send: a retried clientMessageId of the same sender in the same chat is refused.
messageSchema.index({ chatId: 1, senderId: 1, clientMessageId: 1 }, { unique: true });
// GET /changes: messages of a chat changed after a rev, in rev order; also the chat's latest rev.
messageSchema.index({ chatId: 1, rev: 1 });
// The chat's latest seq, read (under the chat lock) to number a new message.
messageSchema.index({ chatId: 1, seq: -1 });
// The reader's unread count after mark-read (chatId + receiverId).
messageSchema.index({ chatId: 1, receiverId: 1, createdAt: -1 });
// Outbox relay: messages whose events were not confirmed published.
messageSchema.index({ outboxAt: 1 });

const readOutboxSchema = new Schema(
  {
    _id: String,
    chatId: Schema.Types.ObjectId,
    readerId: Schema.Types.ObjectId,
    messageIds: [Schema.Types.ObjectId],
    revs: [Number],
    readAt: Date,
    clearedAt: Date,
    createdAt: Date,
  },
  { collection: 'read_outbox', versionKey: false },
);
// Outbox relay: read events not yet published, oldest first.
readOutboxSchema.index({ createdAt: 1 });

export interface Collections {
  messages: Collection<MessageDoc>;
  readOutbox: Collection<ReadOutboxDoc>;
}

/**
 * Registers the models (for their indexes) and returns the driver collections the
 * repositories use: updates here lean on operators ($pullAll, $max, $min) whose exact
 * semantics we want from the driver, not mongoose casting.
 */
export async function openCollections(conn: Connection): Promise<Collections> {
  const Message = conn.model('Message', messageSchema);
  const ReadOutbox = conn.model('ReadOutbox', readOutboxSchema);
  await Promise.all([Message.createIndexes(), ReadOutbox.createIndexes()]);
  return {
    messages: Message.collection as unknown as Collection<MessageDoc>,
    readOutbox: ReadOutbox.collection as unknown as Collection<ReadOutboxDoc>,
  };
}
