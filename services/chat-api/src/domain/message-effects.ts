import type { MessageType } from '@chat/contracts';
import { markApplied, wasApplied, type AppliedRevs } from './applied-revs.js';
import { beforeDeleteBy, countersToDecrement, type ChatCounters, type DeletedMessage } from './projection.js';

/** A message event as the projection applies it: ids checked and lowercased, preview cut. */
export type ProjectedEvent =
  | {
      type: 'created';
      rev: number;
      messageId: string;
      seq: number;
      senderId: string;
      receiverId: string;
      preview: string;
      messageType: MessageType;
      createdAt: Date;
    }
  | {
      type: 'read';
      rev: number;
      /** Every rev the read spent (its messages'), all counted as applied. */
      revs: readonly number[];
      readBy: string;
      /** messages this read newly marked */
      count: number;
      /** When the messages were read. */
      readAt?: Date;
    }
  /** An event that changes nothing on the chat (a reaction, a delivery): only its revs count as applied. */
  | { type: 'other'; rev: number; revs?: readonly number[] }
  | ({
      type: 'deleted';
      rev: number;
      messageId: string;
      /** The deleted message's seq and type, when the event says (see `deletedUnseen`). */
      seq?: number;
      messageType?: MessageType;
    } & DeletedMessage)
  | { type: 'edited'; rev: number; messageId: string; preview: string };

/** What the projection reads of a chat before deciding. */
export interface ProjectedChat extends ChatCounters {
  hiddenFor: readonly string[];
  lastMessageId: string | null;
  lastMessageType: MessageType | null;
  lastMessageAt: Date | null;
  /** `seq` of the message the preview shows: a late older message never replaces it. */
  lastMessageSeq: number | null;
  /** `rev` of the change the preview shows: a late older edit never replaces it. */
  lastMessageRev: number | null;
  applied: AppliedRevs;
}

/** The preview fields an event sets (only `lastMessage` and its rev for edits and deletes). */
export interface LastMessageChange {
  lastMessage: string | null;
  lastMessageRev: number;
  lastMessageAt?: Date;
  lastMessageType?: MessageType;
  lastSenderId?: string;
  lastMessageId?: string;
  lastMessageSeq?: number;
}

/** The new values of the fields one event changes, written at once under the chat's lock. */
export interface ChatChange {
  applied: AppliedRevs;
  unreadCount: Record<string, number>;
  messageCount: Record<string, number>;
  last?: LastMessageChange;
  hiddenFor?: string[];
  updatedAt?: Date;
  /** Participants the chat comes back for: they had deleted it. */
  restoredFor: string[];
  /** Participants whose unread count the event is about: they get `unread_changed`. */
  unreadChangedFor: string[];
}

export type Projection =
  { apply: true; change: ChatChange } | { apply: false; reason: 'ALREADY_APPLIED' | 'NOT_PARTICIPANT' | 'NO_CHANGE' };

const skip = (reason: 'ALREADY_APPLIED' | 'NOT_PARTICIPANT' | 'NO_CHANGE'): Projection => ({ apply: false, reason });
// Exact running totals, clamped only for display (chat-view): a read or delete that overtakes
// its message's `created` (a relayed event) may take a count below zero for a moment.
const count = (counts: Record<string, number>, userId: string) => counts[userId] ?? 0;

/**
 * What one message event changes on a chat. An event whose rev the chat has absorbed changes
 * nothing, so redeliveries and replays cannot move a counter; counters are set to values
 * computed from the state read under the lock, never incremented blind.
 */
export function decideProjection(chat: ProjectedChat, event: ProjectedEvent, now: Date): Projection {
  if (wasApplied(chat.applied, event.rev)) return skip('ALREADY_APPLIED');
  const change: ChatChange = {
    applied: [...(event.type === 'read' || event.type === 'other' ? (event.revs ?? []) : []), event.rev].reduce(
      (a, rev) => markApplied(a, rev),
      chat.applied,
    ),
    unreadCount: {},
    messageCount: {},
    restoredFor: [],
    unreadChangedFor: [],
  };
  switch (event.type) {
    case 'other':
      // Recorded all the same: a rev that never reaches the list would hold its floor back.
      return { apply: true, change };
    case 'created':
      return created(chat, event, change, now);
    case 'read': {
      if (!chat.participants.includes(event.readBy)) return skip('NOT_PARTICIPANT');
      if (event.count === 0) return { apply: true, change }; // only its revs are recorded
      // A read made before the reader deleted the chat: the delete set their count to zero,
      // this read's messages included (a late read would take it below the truth).
      if (event.readAt && beforeDeleteBy(chat.clearedAt, event.readBy, event.readAt)) return { apply: true, change };
      change.unreadCount[event.readBy] = count(chat.unreadCount, event.readBy) - event.count;
      change.unreadChangedFor = [event.readBy];
      return { apply: true, change };
    }
    case 'deleted': {
      // Applied (its rev recorded) even when no counter moves, so a replay later cannot move one.
      const dec = countersToDecrement(chat, event);
      for (const u of dec.messageCount) change.messageCount[u] = count(chat.messageCount, u) - 1;
      for (const u of dec.unreadCount) change.unreadCount[u] = count(chat.unreadCount, u) - 1;
      change.unreadChangedFor = dec.unreadCount;
      // A message deleted for everyone must not live on as the chat's preview.
      if (event.scope === 'everyone' && chat.lastMessageId === event.messageId)
        change.last = { lastMessage: null, lastMessageRev: event.rev };
      else if (event.scope === 'everyone') change.last = deletedUnseen(chat, event);
      return { apply: true, change };
    }
    case 'edited': {
      const showsIt = chat.lastMessageId === event.messageId && chat.lastMessageType === 'text';
      // An edit the preview does not show is recorded all the same (a rev never recorded holds the floor back).
      if (!showsIt || (chat.lastMessageRev !== null && event.rev < chat.lastMessageRev)) return { apply: true, change };
      change.last = { lastMessage: event.preview, lastMessageRev: event.rev };
      return { apply: true, change };
    }
  }
}

function created(
  chat: ProjectedChat,
  m: Extract<ProjectedEvent, { type: 'created' }>,
  change: ChatChange,
  now: Date,
): Projection {
  const { senderId, receiverId } = m;
  if (senderId === receiverId || !chat.participants.includes(senderId) || !chat.participants.includes(receiverId))
    return skip('NOT_PARTICIPANT');
  // A message created before a user deleted the chat is gone for them (their history hides it):
  // projected after the delete, it must neither count for them nor bring the chat back.
  const sees = (u: string) => !beforeDeleteBy(chat.clearedAt, u, m.createdAt);
  if (sees(receiverId)) {
    change.unreadCount[receiverId] = count(chat.unreadCount, receiverId) + 1;
    change.unreadChangedFor = [receiverId];
  }
  for (const u of [senderId, receiverId]) if (sees(u)) change.messageCount[u] = count(chat.messageCount, u) + 1;
  change.updatedAt = now;
  // The chat comes back for a participant who had deleted it, when this message is newer than the delete.
  change.restoredFor = chat.hiddenFor.filter((u) => (u === senderId || u === receiverId) && sees(u));
  if (change.restoredFor.length > 0) change.hiddenFor = chat.hiddenFor.filter((u) => !change.restoredFor.includes(u));
  if (isNewerThanLast(chat, m))
    change.last = {
      lastMessage: m.preview,
      lastMessageRev: m.rev,
      lastMessageAt: m.createdAt,
      lastMessageType: m.messageType,
      lastSenderId: senderId,
      lastMessageId: m.messageId,
      lastMessageSeq: m.seq,
    };
  return { apply: true, change };
}

/**
 * A delete for everyone that overtook its message's `created` (a `created` relayed late): the
 * deleted message becomes the last one with no preview, as it would have been in order, so its
 * late `created` is no longer newer and never shows its text.
 */
function deletedUnseen(
  chat: ProjectedChat,
  event: Extract<ProjectedEvent, { type: 'deleted' }>,
): LastMessageChange | undefined {
  const { seq, createdAt } = event;
  if (seq === undefined || createdAt === undefined) return undefined;
  if (!isNewerThanLast(chat, { seq, createdAt: new Date(createdAt) })) return undefined;
  return {
    lastMessage: null,
    lastMessageRev: event.rev,
    lastMessageAt: new Date(createdAt),
    ...(event.messageType ? { lastMessageType: event.messageType } : {}),
    lastSenderId: event.senderId,
    lastMessageId: event.messageId,
    lastMessageSeq: seq,
  };
}

function isNewerThanLast(chat: ProjectedChat, m: { seq: number; createdAt: Date }): boolean {
  if (chat.lastMessageSeq !== null) return m.seq > chat.lastMessageSeq;
  // A chat whose preview was written before seq was stored: compare creation times.
  return chat.lastMessageAt === null || new Date(chat.lastMessageAt) <= m.createdAt;
}

/** The chat as it is once `change` is written (the fields the projection reads). */
export function withChange(chat: ProjectedChat, change: ChatChange): ProjectedChat {
  const last = change.last;
  return {
    ...chat,
    applied: change.applied,
    unreadCount: { ...chat.unreadCount, ...change.unreadCount },
    messageCount: { ...chat.messageCount, ...change.messageCount },
    hiddenFor: change.hiddenFor ?? chat.hiddenFor,
    ...(last?.lastMessageId !== undefined ? { lastMessageId: last.lastMessageId } : {}),
    ...(last?.lastMessageType !== undefined ? { lastMessageType: last.lastMessageType } : {}),
    ...(last?.lastMessageAt !== undefined ? { lastMessageAt: last.lastMessageAt } : {}),
    ...(last?.lastMessageSeq !== undefined ? { lastMessageSeq: last.lastMessageSeq } : {}),
    ...(last ? { lastMessageRev: last.lastMessageRev } : {}),
  };
}

/** One change that writes what `first` then `then` write (the later value of each field wins). */
export function mergeChanges(first: ChatChange, then: ChatChange): ChatChange {
  const merged: ChatChange = {
    applied: then.applied,
    unreadCount: { ...first.unreadCount, ...then.unreadCount },
    messageCount: { ...first.messageCount, ...then.messageCount },
    restoredFor: [...new Set([...first.restoredFor, ...then.restoredFor])],
    unreadChangedFor: [...new Set([...first.unreadChangedFor, ...then.unreadChangedFor])],
  };
  if (first.last || then.last) merged.last = { ...first.last, ...then.last } as LastMessageChange;
  const hiddenFor = then.hiddenFor ?? first.hiddenFor;
  if (hiddenFor) merged.hiddenFor = hiddenFor;
  const updatedAt = then.updatedAt ?? first.updatedAt;
  if (updatedAt) merged.updatedAt = updatedAt;
  return merged;
}

/**
 * Several events of one chat, in stream order, as one change: each is decided against the chat
 * as the ones before it left it, so the result equals applying them one by one, in one write.
 */
export function foldProjections(
  chat: ProjectedChat,
  events: readonly ProjectedEvent[],
  now: Date,
): { change: ChatChange | null; outcomes: Projection[] } {
  let state = chat;
  let change: ChatChange | null = null;
  const outcomes: Projection[] = [];
  for (const event of events) {
    const outcome = decideProjection(state, event, now);
    outcomes.push(outcome);
    if (!outcome.apply) continue;
    state = withChange(state, outcome.change);
    change = change ? mergeChanges(change, outcome.change) : outcome.change;
  }
  return { change, outcomes };
}
