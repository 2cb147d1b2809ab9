import type { ChatEventType, ChatStatus, MessageType } from '@chat/contracts';

/**
 * A chat event written in the same update as the change it reports, removed once published:
 * a crash between the write and the publish cannot lose it (the outbox relay publishes it later).
 */
export interface OutboxEntry {
  eventId: string;
  type: ChatEventType;
  actorId: string;
  at: Date;
}

/** A chat as the rest of the service sees it (declared once; data/ maps documents to it): plain data, ids as lowercase hex strings. */
export interface ChatRecord {
  id: string;
  participants: string[];
  status: ChatStatus;
  requestedBy: string;
  acceptedAt: Date | null;
  blockedBy: string | null;
  statusBeforeBlock: ChatStatus | null;
  stateRev: number;
  lastMessage: string | null;
  lastMessageAt: Date | null;
  lastMessageType: MessageType | null;
  lastSenderId: string | null;
  lastMessageId: string | null;
  lastMessageSeq: number | null;
  lastMessageRev: number | null;
  unreadCount: Record<string, number>;
  messageCount: Record<string, number>;
  archivedBy: string[];
  hiddenFor: string[];
  clearedAt: Record<string, Date>;
  /** Chat events written with a change and not published yet. */
  outbox: OutboxEntry[];
  createdAt: Date;
  updatedAt: Date;
}
