import type { ChatEventType, ChatStatus, MessageType } from '@chat/contracts';
import type { StateChangeSpec } from './chat-state.js';

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

/**
 * What one command changes on a chat, decided on the chat as it is under the chat's write lock
 * (data/ turns it into one update): each part names what it sets, and `events` go into the outbox
 * with it.
 */
export interface ChatEdit {
  /** A status transition (bumps `stateRev`). */
  state?: StateChangeSpec;
  /** The user's archive flag. */
  archive?: { userId: string; archived: boolean };
  /** The user deletes the chat at `at`: hidden for them, older messages gone, their counts zero. */
  hide?: { userId: string; at: Date };
  /** The chat comes back for this user (their old history stays hidden). */
  unhide?: string;
  events: OutboxEntry[];
}
