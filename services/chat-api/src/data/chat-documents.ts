import type { OutboxEntry } from '../domain/chat.js';
import { Schema, type Connection, type Types } from 'mongoose';
import { chatEventTypes, chatStatuses, messageTypes, type ChatStatus, type MessageType } from '@chat/contracts';
import type { AppliedRevs } from '../domain/applied-revs.js';

/**
 * The `chats` collection. Per-user state lives in maps keyed by the user's ObjectId hex
 * (FerretDB forbids `.` and `$` in field names, hex keys are safe) and in id arrays.
 */
export interface ChatDoc {
  _id: Types.ObjectId;
  participants: Types.ObjectId[];
  /** `<smaller id>:<larger id>`: one chat per pair. */
  pairKey: string;
  status: ChatStatus;
  requestedBy: Types.ObjectId;
  acceptedAt: Date | null;
  blockedBy: Types.ObjectId | null;
  /** The status to return to on unblock. */
  statusBeforeBlock: ChatStatus | null;
  /** Bumped by every status change (transitions are decided on the chat as read under its write lock). */
  stateRev: number;
  lastMessage: string | null;
  lastMessageAt: Date | null;
  lastMessageType: MessageType | null;
  lastSenderId: Types.ObjectId | null;
  lastMessageId: string | null;
  /** `seq` of the message the preview shows, and `rev` of the change that set the preview. */
  lastMessageSeq: number | null;
  lastMessageRev: number | null;
  unreadCount: Map<string, number>;
  messageCount: Map<string, number>;
  archivedBy: Types.ObjectId[];
  /** Users who deleted the chat and have not seen it come back yet. */
  hiddenFor: Types.ObjectId[];
  /**
   * Per user: when they last deleted the chat (set under its write lock). Messages created at or
   * before it stay hidden for them, and their events neither count for them nor bring it back.
   */
  clearedAt: Map<string, Date>;
  /** Message events (by per-chat rev) the projection has applied: see domain/applied-revs. */
  appliedRevs: AppliedRevs;
  outbox: OutboxEntry[];
  /** True while `outbox` holds anything: the relay finds such chats by this top-level flag. */
  outboxPending: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const outboxEntrySchema = new Schema<OutboxEntry>(
  {
    eventId: { type: String, required: true },
    type: { type: String, enum: chatEventTypes, required: true },
    actorId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { _id: false },
);

const chatSchema = new Schema<ChatDoc>(
  {
    participants: { type: [Schema.Types.ObjectId], required: true },
    pairKey: { type: String, required: true },
    status: { type: String, enum: chatStatuses, required: true },
    requestedBy: { type: Schema.Types.ObjectId, required: true },
    acceptedAt: { type: Date, default: null },
    blockedBy: { type: Schema.Types.ObjectId, default: null },
    statusBeforeBlock: { type: String, enum: [...chatStatuses, null], default: null },
    stateRev: { type: Number, default: 0 },
    lastMessage: { type: String, default: null },
    lastMessageAt: { type: Date, default: null },
    lastMessageType: { type: String, enum: [...messageTypes, null], default: null },
    lastSenderId: { type: Schema.Types.ObjectId, default: null },
    lastMessageId: { type: String, default: null },
    lastMessageSeq: { type: Number, default: null },
    lastMessageRev: { type: Number, default: null },
    unreadCount: { type: Map, of: Number, default: () => ({}) },
    messageCount: { type: Map, of: Number, default: () => ({}) },
    archivedBy: { type: [Schema.Types.ObjectId], default: [] },
    hiddenFor: { type: [Schema.Types.ObjectId], default: [] },
    clearedAt: { type: Map, of: Date, default: () => ({}) },
    appliedRevs: {
      floor: { type: Number, default: 0 },
      revs: { type: [Number], default: [] },
    },
    outbox: { type: [outboxEntrySchema], default: [] },
    outboxPending: { type: Boolean, default: false },
  },
  { collection: 'chats', timestamps: true, versionKey: false },
);

// or-create: find the pair's chat; unique, so concurrent or-creates never make two chats.
chatSchema.index({ pairKey: 1 }, { unique: true });
// requests / active / history / chat.user.list: a user's chats by status, newest activity first.
chatSchema.index({ participants: 1, status: 1, lastMessageAt: -1, updatedAt: -1 });
// history and chat.user.list without a status filter: a user's chats, newest activity first.
chatSchema.index({ participants: 1, lastMessageAt: -1, updatedAt: -1 });
// outbox relay: `{ outboxPending: true }`, chats holding chat events not published yet.
chatSchema.index({ outboxPending: 1 });

export function chatModel(conn: Connection) {
  return conn.model<ChatDoc>('Chat', chatSchema);
}
export type ChatModel = ReturnType<typeof chatModel>;
