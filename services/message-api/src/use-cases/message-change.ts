import { checkDeadline, notFound } from '@chat/platform';
import { messageEvent, type EventData, type OutgoingEvent } from '../domain/message-events.js';
import type { ChatAction } from '../clients/access-gate.js';
import { type StoredMessage } from '../domain/message.js';
import { encodeEvent } from '../data/message-codec.js';
import type { ChangeStamp, MessageRef } from '../data/message-repository.js';
import { viewerOf, type Viewer } from '../domain/visibility.js';
import { type MessageDeps } from './deps.js';

/**
 * One change to one message (edit, delete, reaction): its target as the caller sees it, the
 * planned change (its event and its write), and applying it under the chat's change lock.
 */

/** The message `messageId` of `chatId` as the caller sees it, after checking the caller may `action` there. */
export async function loadTarget(
  deps: MessageDeps,
  command: { userId: string; chatId: string; messageId: string },
  action: ChatAction,
) {
  const access = await deps.access.check(command.chatId, command.userId, action);
  const viewer = viewerOf(access, command.userId);
  const message = await deps.repo.visibleTo(viewer).findById(command.messageId);
  if (!message) throw notFound('Message not found in this chat');
  return { access, viewer, message };
}

/** A planned change: its event, and the repository write that makes it (with that event). */
export interface PlannedChange {
  event: OutgoingEvent;
  write: (ref: MessageRef, stamp: ChangeStamp) => Promise<boolean>;
}

/**
 * Writes one change to one message under the chat's change lock (FerretDB loses concurrent
 * updates of one document): `change` plans it from the message as it is now, with the next rev
 * and time; its write stores the event with the change, and only if the change still applies;
 * then the event is published in the background.
 * Returns false when the change no longer applied (nothing written, no event).
 */
export async function applyChange(
  deps: MessageDeps,
  target: { viewer: Viewer; message: StoredMessage },
  change: (rev: number, at: Date, current: StoredMessage) => PlannedChange | null,
): Promise<boolean> {
  const { chatId } = target.viewer;
  const written = await deps.locks.run(chatId, async () => {
    checkDeadline();
    // Read again under the lock: what the change depends on may have changed meanwhile.
    const current = await deps.repo.visibleTo(target.viewer).findById(target.message.id);
    if (!current) return null;
    return deps.numbers.withRevs(chatId, 1, async (revs) => {
      const [rev] = revs as [number];
      const at = new Date();
      const planned = change(rev, at, current);
      if (!planned) return null;
      const raw = encodeEvent(planned.event);
      const matched = await planned.write({ chatId, messageId: target.message.id }, { rev, at, event: raw });
      return matched ? raw : null;
    });
  });
  if (written) void deps.outbox.background(deps.outbox.flushMessage(chatId, target.message.id, [written]));
  return written !== null;
}

/** The events about one message (their subject names it). */
export type PerMessage = 'edited' | 'deleted' | 'reaction_added' | 'reaction_removed';

/** The event of a change to `message`. */
export function eventOf<T extends PerMessage>(
  type: T,
  message: StoredMessage,
  data: Omit<EventData<T>, 'messageId'>,
): OutgoingEvent {
  return messageEvent(type, message.chatId, { messageId: message.id, ...data } as EventData<T>);
}
