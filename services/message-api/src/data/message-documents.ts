import { Schema, type Connection } from 'mongoose';
import { messageTypes } from '@chat/contracts';
import type { KeyedLock, Logger } from '@chat/platform';
import { migrateMessageBlocks, type MigrationRecord } from './migrate-message-blocks.js';
import type { Collection, Document, ObjectId } from 'mongodb';
import type { MessageFields } from '../domain/message.js';

/** A message as stored: its fields (domain/message.ts) with ObjectIds, and the outbox flags. */
export interface MessageDoc extends Omit<MessageFields<ObjectId>, 'deliveredTo'> {
  _id: ObjectId;
  /** `<chatId>:<block of seq>` and `<chatId>:<block of rev>` (domain/message-blocks.ts): what every per-chat read looks up. */
  seqBlock: string;
  revBlock: string;
  /** Absent on messages stored before delivery receipts existed. */
  deliveredTo?: MessageFields<ObjectId>['deliveredTo'];
  deletedAt: Date | null;
  /** True while `pendingEvents` may be non-empty: what the outbox relay looks up (by equality). */
  outboxPending?: true;
  /** When the oldest pending event was written (the relay leaves younger ones to their writer). */
  outboxAt?: Date;
}

/**
 * A receipt event (`read` or `delivered`) to publish, kept until published (a receipt touches
 * many messages). Both kinds share the collection, so the relay finds them in one lookup.
 */
export interface ReceiptOutboxDoc {
  _id: string; // the event id
  /** Absent for a read (rows written before delivery receipts have none); 'delivered' for a delivery. */
  kind?: 'delivered';
  chatId: ObjectId;
  /** The receiver who read the messages, or whom they reached. */
  readerId: ObjectId;
  messageIds: ObjectId[];
  revs: number[];
  /** When they were read, or delivered. */
  readAt: Date;
  clearedAt: Date | null;
  /** Users whose sockets the event is kept from (the event's `hiddenFrom`), if any. */
  hiddenFrom?: string[];
  /** Always 'pending' while the row exists: the relay's equality lookup. */
  state: 'pending';
  createdAt: Date;
}

/** The `created` events of one batch of sends, kept until all are published. */
export interface SendOutboxDoc {
  _id: string; // the batch id
  /** Always 'pending' while the row exists: the relay's equality lookup. */
  state: 'pending';
  /** Encoded events (message-codec.ts), one per message of the batch. */
  events: string[];
  createdAt: Date;
}

const messageSchema = new Schema(
  {
    chatId: { type: Schema.Types.ObjectId, required: true },
    senderId: { type: Schema.Types.ObjectId, required: true },
    receiverId: { type: Schema.Types.ObjectId, required: true },
    content: { type: String, default: '' },
    messageType: { type: String, enum: messageTypes, required: true },
    media: { type: Schema.Types.Mixed, default: null },
    clientMessageId: { type: String, required: true },
    seq: { type: Number, required: true },
    rev: { type: Number, required: true },
    seqBlock: { type: String, required: true },
    revBlock: { type: String, required: true },
    isEdited: { type: Boolean, default: false },
    editedAt: { type: Date, default: null },
    readBy: [{ _id: false, userId: Schema.Types.ObjectId, readAt: Date }],
    deliveredTo: { type: [{ _id: false, userId: Schema.Types.ObjectId, deliveredAt: Date }], default: undefined },
    deletedBy: [Schema.Types.ObjectId],
    deletedForEveryone: { type: Boolean, default: false },
    deletedAt: { type: Date, default: null },
    replyTo: { type: Schema.Types.ObjectId, default: null },
    reactions: [{ _id: false, userId: Schema.Types.ObjectId, emoji: String, createdAt: Date }],
    reactionKeys: [String],
    pendingEvents: [String],
    outboxPending: { type: Boolean },
    outboxAt: { type: Date },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'messages', versionKey: false },
);
// Indexes lead with the field a lookup matches by equality: FerretDB serves a query from the
// index of its leading field only (deploy/local/ferretdb-indexes.sql), and a chat's messages are
// read a block at a time, never by chatId alone.
// GET /messages pages, /search windows and the chat's highest seq when its counter is reseeded;
// unique, so two writers never both store one seq of a chat (the block key holds the chat).
messageSchema.index({ seqBlock: 1, seq: 1 }, { unique: true });
// GET /changes (the chat's messages changed after a rev) and the highest rev when reseeded; unique like seq.
messageSchema.index({ revBlock: 1, rev: 1 }, { unique: true });
// Idempotent send: a retried clientMessageId of the same sender in the same chat is refused.
messageSchema.index({ clientMessageId: 1, chatId: 1, senderId: 1 }, { unique: true });
// Outbox relay: messages holding change events not confirmed published (equality on true).
messageSchema.index({ outboxPending: 1 });

/** Indexes of earlier versions, led by chatId, dropped once the messages carry their blocks. */
export const RETIRED_MESSAGE_INDEXES = [
  'chatId_1_createdAt_-1__id_-1',
  'chatId_1_senderId_1_clientMessageId_1',
  'chatId_1_rev_-1',
  'chatId_1_seq_1',
  'chatId_1_receiverId_1_createdAt_-1',
];

const receiptOutboxSchema = new Schema(
  {
    _id: String,
    kind: String,
    chatId: Schema.Types.ObjectId,
    readerId: Schema.Types.ObjectId,
    messageIds: [Schema.Types.ObjectId],
    revs: [Number],
    readAt: Date,
    clearedAt: Date,
    hiddenFrom: { type: [String], default: undefined },
    state: String,
    createdAt: Date,
  },
  // Named before delivery receipts shared it: the rows already stored are in 'read_outbox'.
  { collection: 'read_outbox', versionKey: false },
);
// Outbox relay: receipt events (read, delivered) not yet published (equality on 'pending').
receiptOutboxSchema.index({ state: 1 });

const sendOutboxSchema = new Schema(
  { _id: String, state: String, events: [String], createdAt: Date },
  { collection: 'send_outbox', versionKey: false },
);
// Outbox relay: batches of sends whose events were not all published (equality on 'pending').
sendOutboxSchema.index({ state: 1 });

/**
 * The highest rev a chat's changes took (written with each change): a message changed again
 * leaves no trace of its earlier revs, so the store alone cannot tell the highest rev exactly
 * once Redis has lost the counters.
 */
export interface ChatRevDoc {
  _id: string; // the chat id
  rev: number;
}

export interface Collections {
  messages: Collection<MessageDoc>;
  receiptOutbox: Collection<ReceiptOutboxDoc>;
  sendOutbox: Collection<SendOutboxDoc>;
  chatRevs: Collection<ChatRevDoc>;
}

/**
 * Registers the models (for their indexes) and returns the driver collections the
 * repositories use: updates here lean on operators ($pullAll, $max, $min) whose exact
 * semantics we want from the driver, not mongoose casting.
 */
export async function openCollections(conn: Connection, logger: Logger, lock: KeyedLock): Promise<Collections> {
  const Message = messageModel(conn);
  const ReceiptOutbox = conn.model('ReceiptOutbox', receiptOutboxSchema);
  const SendOutbox = conn.model('SendOutbox', sendOutboxSchema);
  const messages = Message.collection as unknown as Collection<MessageDoc>;
  // Before the indexes: the unique block indexes need every message to carry its blocks.
  await migrateMessageBlocks(messages, migrationsOf(conn), lock, logger);
  await Promise.all([Message.createIndexes(), ReceiptOutbox.createIndexes(), SendOutbox.createIndexes()]);
  await dropRetiredIndexes(messages, RETIRED_MESSAGE_INDEXES);
  return {
    messages,
    receiptOutbox: ReceiptOutbox.collection as unknown as Collection<ReceiptOutboxDoc>,
    sendOutbox: SendOutbox.collection as unknown as Collection<SendOutboxDoc>,
    chatRevs: driverCollection<ChatRevDoc>(conn, 'chat_revs'),
  };
}

const messageModel = (conn: Connection) => conn.models.Message ?? conn.model('Message', messageSchema);

/** The messages collection, without building indexes or migrating (the migration command). */
export const openMessages = (conn: Connection): Collection<MessageDoc> =>
  messageModel(conn).collection as unknown as Collection<MessageDoc>;

/** A collection without a mongoose model (no schema to declare: only `_id` lookups). */
const driverCollection = <T extends Document>(conn: Connection, name: string): Collection<T> =>
  conn.getClient().db(conn.name).collection<T>(name);

/** Where migrations record that they ran. */
export const migrationsOf = (conn: Connection): Collection<MigrationRecord> =>
  driverCollection<MigrationRecord>(conn, 'migrations');

async function dropRetiredIndexes(messages: Collection<MessageDoc>, names: string[]): Promise<void> {
  const present = new Set((await messages.indexes()).map((i) => i.name));
  for (const name of names.filter((n) => present.has(n))) await messages.dropIndex(name);
}
