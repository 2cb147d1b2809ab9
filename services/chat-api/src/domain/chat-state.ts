import type { ChatEventType, ChatStatus } from '@chat/contracts';

/**
 * The chat status machine, without I/O.
 *
 *   pending --accept (recipient)--> accepted
 *   pending --reject (recipient)--> rejected
 *   pending --or-create by the recipient--> auto_accepted
 *   rejected --or-create by the user who rejected--> pending (requested by them)
 *   any but blocked --block (either participant)--> blocked (remembers blockedBy and the status before)
 *   blocked --unblock (blockedBy only)--> the status before the block
 */
export interface ChatState {
  participants: readonly string[];
  status: ChatStatus;
  requestedBy: string;
  blockedBy: string | null;
  statusBeforeBlock: ChatStatus | null;
}

export type ChatAction = 'accept' | 'reject' | 'block' | 'unblock';

/** What a transition changes; `acceptedAt` is set to `now` by the caller's clock. */
export interface StateChangeSpec {
  status: ChatStatus;
  requestedBy?: string;
  acceptedAt?: Date | null;
  blockedBy?: string | null;
  statusBeforeBlock?: ChatStatus | null;
}

export type Refusal = { ok: false; code: 'FORBIDDEN' | 'CONFLICT' | 'NOT_FOUND'; message: string };
export type Transition = { ok: true; change: StateChangeSpec; event: ChatEventType } | Refusal;

const refuse = (code: Refusal['code'], message: string): Refusal => ({ ok: false, code, message });

export const isParticipant = (state: Pick<ChatState, 'participants'>, userId: string): boolean =>
  state.participants.includes(userId);

export const otherParticipant = (state: Pick<ChatState, 'participants'>, userId: string): string =>
  state.participants.find((p) => p !== userId) ?? userId;

/** Decides an explicit action (accept, reject, block, unblock) by `actor` at time `now`. */
export function decideTransition(state: ChatState, action: ChatAction, actor: string, now: Date): Transition {
  // A stranger learns nothing about the chat: same answer as an unknown id.
  if (!isParticipant(state, actor)) return refuse('NOT_FOUND', 'Chat not found');
  switch (action) {
    case 'accept':
    case 'reject': {
      if (state.status !== 'pending') return refuse('CONFLICT', `Chat is ${state.status}, not pending`);
      if (state.requestedBy === actor)
        return refuse('FORBIDDEN', `Only the recipient of a chat request can ${action} it`);
      return action === 'accept'
        ? { ok: true, change: { status: 'accepted', acceptedAt: now }, event: 'accepted' }
        : { ok: true, change: { status: 'rejected' }, event: 'rejected' };
    }
    case 'block': {
      if (state.status === 'blocked') return refuse('CONFLICT', 'Chat is already blocked');
      return {
        ok: true,
        change: { status: 'blocked', blockedBy: actor, statusBeforeBlock: state.status },
        event: 'blocked',
      };
    }
    case 'unblock': {
      if (state.status !== 'blocked') return refuse('CONFLICT', 'Chat is not blocked');
      if (state.blockedBy !== actor) return refuse('FORBIDDEN', 'Only the user who blocked can unblock');
      return {
        ok: true,
        change: { status: state.statusBeforeBlock ?? 'pending', blockedBy: null, statusBeforeBlock: null },
        event: 'unblocked',
      };
    }
  }
}

/**
 * What `or-create` by `actor` does to the pair's existing chat: nothing (the chat is returned
 * as it is), or a change. Never a refusal: the caller always gets the pair's chat back.
 */
export function decideRequest(
  state: ChatState,
  actor: string,
  now: Date,
): { ok: true; change: StateChangeSpec; event: ChatEventType } | null {
  if (!isParticipant(state, actor)) return null;
  // The other side already asked: both want to talk.
  if (state.status === 'pending' && state.requestedBy !== actor) {
    return { ok: true, change: { status: 'auto_accepted', acceptedAt: now }, event: 'auto_accepted' };
  }
  // The user who turned the request down may start it again, as their own request.
  if (state.status === 'rejected' && state.requestedBy !== actor) {
    return { ok: true, change: { status: 'pending', requestedBy: actor, acceptedAt: null }, event: 'created' };
  }
  return null;
}

export type SendDenial = { ok: false; reason: 'NOT_PARTICIPANT' | 'STATUS'; message: string };

/** Who may send: both sides of an accepted chat; only the requester while pending; nobody if rejected or blocked. */
export function decideSend(state: ChatState, userId: string): { ok: true } | SendDenial {
  if (!isParticipant(state, userId))
    return { ok: false, reason: 'NOT_PARTICIPANT', message: 'Not a participant of this chat' };
  switch (state.status) {
    case 'accepted':
    case 'auto_accepted':
      return { ok: true };
    case 'pending':
      return state.requestedBy === userId
        ? { ok: true }
        : { ok: false, reason: 'STATUS', message: 'Accept the chat request before sending messages' };
    case 'rejected':
      return { ok: false, reason: 'STATUS', message: 'This chat request was rejected' };
    case 'blocked':
      return { ok: false, reason: 'STATUS', message: 'This chat is blocked' };
  }
}
