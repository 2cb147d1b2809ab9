import type { Media, MessageType } from '@chat/contracts';

/** A message as the use cases see it (declared once; data/ maps its documents to it): ids as strings, dates as Dates. */
export interface StoredMessage {
  id: string;
  chatId: string;
  senderId: string;
  receiverId: string;
  content: string;
  messageType: MessageType;
  media: Media | null;
  clientMessageId: string;
  seq: number;
  rev: number;
  isEdited: boolean;
  editedAt: Date | null;
  readBy: { userId: string; readAt: Date }[];
  /** As recorded by mark-delivered only: views add readers (domain/views.ts). */
  deliveredTo: { userId: string; deliveredAt: Date }[];
  deletedBy: string[];
  deletedForEveryone: boolean;
  replyTo: string | null;
  reactions: { userId: string; emoji: string; createdAt: Date }[];
  reactionKeys: string[];
  pendingEvents: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** The receipts a receiver gives: each recorded once per (message, receiver), with its own rev. */
export type ReceiptKind = 'read' | 'delivered';

/** When `userId`'s receipt of this kind was recorded on the message, if it was. */
export function receiptAt(m: StoredMessage, kind: ReceiptKind, userId: string): Date | undefined {
  return kind === 'read'
    ? m.readBy.find((r) => r.userId === userId)?.readAt
    : m.deliveredTo.find((d) => d.userId === userId)?.deliveredAt;
}
