import type { ChatRecord } from '../domain/chat.js';
import type { OutboxEntry } from '../domain/chat.js';
import type { AppliedRevs } from '../domain/applied-revs.js';

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const asRecord = <T>(v: unknown): Record<string, T> => {
  if (!v) return {};
  if (v instanceof Map) return Object.fromEntries(v) as Record<string, T>;
  return { ...(v as Record<string, T>) };
};

/** Maps a lean document to a ChatRecord. */
export function toRecord(doc: Record<string, any>): ChatRecord {
  return {
    id: String(doc._id),
    participants: (doc.participants ?? []).map(String),
    status: doc.status,
    requestedBy: String(doc.requestedBy),
    acceptedAt: doc.acceptedAt ?? null,
    blockedBy: str(doc.blockedBy),
    statusBeforeBlock: doc.statusBeforeBlock ?? null,
    stateRev: doc.stateRev ?? 0,
    lastMessage: doc.lastMessage ?? null,
    lastMessageAt: doc.lastMessageAt ?? null,
    lastMessageType: doc.lastMessageType ?? null,
    lastSenderId: str(doc.lastSenderId),
    lastMessageId: doc.lastMessageId ?? null,
    lastMessageSeq: doc.lastMessageSeq ?? null,
    lastMessageRev: doc.lastMessageRev ?? null,
    unreadCount: asRecord<number>(doc.unreadCount),
    messageCount: asRecord<number>(doc.messageCount),
    archivedBy: (doc.archivedBy ?? []).map(String),
    hiddenFor: (doc.hiddenFor ?? []).map(String),
    clearedAt: asRecord<Date>(doc.clearedAt),
    outbox: (doc.outbox ?? []).map((e: OutboxEntry) => ({
      eventId: e.eventId,
      type: e.type,
      actorId: e.actorId,
      at: e.at,
    })),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** The projection's applied revs as stored (absent on chats no message event has touched yet). */
export function toAppliedRevs(stored: unknown): AppliedRevs {
  const s = stored as Partial<AppliedRevs> | null | undefined;
  return {
    floor: typeof s?.floor === 'number' ? s.floor : 0,
    revs: Array.isArray(s?.revs) ? s.revs.map(Number) : [],
  };
}
