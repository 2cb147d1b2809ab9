import type { Media, MessageType } from '@chat/contracts';

/**
 * The fields of a message, declared once, over the type of its ids: strings for the use cases
 * (StoredMessage), ObjectIds in the store (data/message-documents.ts).
 */
export interface MessageFields<Id> {
  chatId: Id;
  senderId: Id;
  receiverId: Id;
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
  readBy: { userId: Id; readAt: Date }[];
  /** As delivery receipts record it (use-cases/record-receipts.ts): views add readers (domain/views.ts). */
  deliveredTo: { userId: Id; deliveredAt: Date }[];
  deletedBy: Id[];
  deletedForEveryone: boolean;
  replyTo: Id | null;
  reactions: { userId: Id; emoji: string; createdAt: Date }[];
  /** `<userId>:<emoji>` per reaction: lets one conditional update keep reactions unique. */
  reactionKeys: string[];
  /** Events of a change (edit, delete, reaction) written with it and not yet confirmed published. */
  pendingEvents: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** A message as the use cases see it: ids as strings, dates as Dates. */
export interface StoredMessage extends MessageFields<string> {
  id: string;
}

/** The receipts a receiver gives: each recorded once per (message, receiver), with its own rev. */
export type ReceiptKind = 'read' | 'delivered';

/** When `userId`'s receipt of this kind was recorded on the message, if it was. */
export function receiptAt(m: StoredMessage, kind: ReceiptKind, userId: string): Date | undefined {
  return kind === 'read'
    ? m.readBy.find((r) => r.userId === userId)?.readAt
    : m.deliveredTo.find((d) => d.userId === userId)?.deliveredAt;
}
