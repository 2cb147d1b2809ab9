import { DURABLES, messageEvents, messageSubjects } from '@chat/contracts';
import { RetryLater, type Bus, type Metrics, type RunningConsumer } from '@chat/platform';
import { eraseDeletedText, type TextEraserDeps } from '../../use-cases/erase-deleted-text.js';

/** Shared by every message-api replica: each deletion is erased by one of them. */
export const TEXT_ERASER_DURABLE = DURABLES.textEraser.name;

/**
 * The durable consumer of `deleted` events that erases the text of messages deleted for
 * everyone from the MESSAGES stream, and has media-service delete their files
 * (use-cases/erase-deleted-text.ts). An event is acknowledged only once its erasure is done;
 * until then it comes back every `retryMs` (a consumer is behind, an event still to be
 * published, media-service down), so a crash or restart never loses a pending erasure.
 * Nothing of this runs on the send path.
 */
export function startTextEraser(
  bus: Bus,
  deps: TextEraserDeps,
  opts: { retryMs: number; metrics: Metrics },
): Promise<RunningConsumer> {
  const erased = opts.metrics.counter(
    'message_text_events_erased_total',
    'Events holding the text of a message deleted for everyone, deleted from the MESSAGES stream',
  );
  return bus.consume({
    stream: DURABLES.textEraser.stream,
    durable: TEXT_ERASER_DURABLE,
    filterSubjects: [messageSubjects.deleted],
    schema: messageEvents.deleted,
    handler: async (event) => {
      // Hidden by one user only: the other participant still reads it.
      if (event.data.scope !== 'everyone') return;
      const { messageId, senderId, fileId } = event.data;
      const result = await eraseDeletedText(deps, { chatId: event.chatId, messageId, senderId, fileId });
      if (!result.done) throw new RetryLater(result.reason, opts.retryMs);
      erased.inc(result.erased);
    },
  });
}
