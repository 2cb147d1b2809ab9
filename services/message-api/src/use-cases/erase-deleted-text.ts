import { STREAMS, messageSubjects } from '@chat/contracts';
import type { EraseOutcome } from '@chat/platform';
import type { EventOutbox } from '../data/event-outbox.js';
import type { MessageRepository } from '../data/message-repository.js';
import type { MediaFiles } from '../clients/media-files.js';

export interface TextEraserDeps {
  repo: MessageRepository;
  outbox: Pick<EventOutbox, 'holdsText'>;
  /** The MESSAGES stream (the bus in production). */
  stream: { eraseAcknowledged(stream: string, subjects: readonly string[]): Promise<EraseOutcome> };
  /** media-service, which deletes the file of a media message. */
  media: MediaFiles;
}

/** A message deleted for everyone, as its `deleted` event names it. */
export interface DeletedMessage {
  chatId: string;
  messageId: string;
  senderId: string;
  /** Its media's file, if it had one (the tombstone no longer says). */
  fileId?: string;
}

export type EraseResult = { done: true; erased: number } | { done: false; reason: string };

/**
 * Erases what remains of a message deleted for everyone outside its tombstone. Its file, if it
 * had one, is deleted by media-service first (its URL then answers 404): that waits for nobody.
 * Then its text leaves the MESSAGES stream: every one of its events that holds its text, media
 * URL or file name (`created`, each `edited`) is deleted from the stream, once every durable consumer (chat-api's projection, the gateway's broadcasts)
 * has acknowledged it, so none misses an event. Not done yet while such an event is still to be
 * published (it would land after the erasure) or still held by a consumer: the caller tries again.
 * Events of other messages are never touched: the subjects name this message's id. Both steps
 * may run again (a retry deletes nothing twice).
 */
export async function eraseDeletedText(deps: TextEraserDeps, deleted: DeletedMessage): Promise<EraseResult> {
  if (deleted.fileId) {
    const file = { fileId: deleted.fileId, chatId: deleted.chatId, uploaderId: deleted.senderId };
    try {
      await deps.media.delete(file);
    } catch (err) {
      return { done: false, reason: `its file was not deleted: ${(err as Error).message}` };
    }
  }
  const message = await deps.repo.findById(deleted.messageId);
  if (message && (await deps.outbox.holdsText(message)))
    return { done: false, reason: 'an event holding its text is still to be published' };
  const subjects = messageSubjects.withText(deleted.chatId, deleted.messageId);
  const outcome = await deps.stream.eraseAcknowledged(STREAMS.messages.name, subjects);
  if (outcome.waiting) {
    const { consumer, seq } = outcome.waiting;
    return { done: false, reason: `consumer ${consumer} has not acknowledged event ${seq} yet` };
  }
  return { done: true, erased: outcome.erased };
}
