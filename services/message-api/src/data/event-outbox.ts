import { messageTextEventTypes, type MessageEventType } from '@chat/contracts';
import {
  startOutboxRelay,
  type KeyedLock,
  type Logger,
  type Metrics,
  type OutboxPublisher,
  type OutboxRelay,
} from '@chat/platform';
import type { ChatNumbers, UnpublishedSends } from './chat-numbers.js';
import { type MessageRepository } from './message-repository.js';
import { receiptAt } from '../domain/message.js';
import { createdEvent, messageEvent, type OutgoingEvent } from '../domain/message-events.js';
import { decodeEvent } from './message-codec.js';
import type { OutboxRows, PendingReceipt, PendingSendBatch } from './outbox-rows.js';

/**
 * Publishes events after their write, and catches up on any that could not be published.
 *
 * - Sends: the Redis mark their numbering left (chat-numbers.ts `UnpublishedSends`) stands for
 *   their `created` events until the writer has published them. The relay takes marks its
 *   writer left past their due time, and publishes the `created` event of each of their
 *   messages that was stored (event ids derived from the message: JetStream keeps one copy).
 *   Rows of `send_outbox`, where a previous version kept a batch's events, are relayed as before.
 * - Changes (edit, delete, reactions): the event is written inside the message document by the
 *   same update that makes the change (`pendingEvents`, flagged by `outboxPending`).
 * - Receipts (reads, deliveries) span many messages: the `read_outbox` row is written first, then
 *   the receipt applied; the relay re-applies (idempotent) and publishes rows left behind.
 *
 * Every relay lookup is an equality on an indexed field.
 */
export class EventOutbox {
  private relay: OutboxRelay | undefined;
  /** Publishes still running after their command was answered. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly publisher: OutboxPublisher,
    private readonly messages: MessageRepository,
    private readonly numbers: ChatNumbers,
    private readonly locks: KeyedLock,
    private readonly rows: OutboxRows,
    private readonly logger: Logger,
    /** With `metrics`, the relay reports the age of the oldest event it finds waiting. */
    private readonly opts: { intervalMs: number; afterMs: number; metrics?: Metrics },
  ) {}

  /** Runs `publish` in the background, tracked so that `stop` waits for it. */
  background<T>(publish: Promise<T>): Promise<T> {
    this.inFlight.add(publish);
    void publish.finally(() => this.inFlight.delete(publish)).catch(() => undefined);
    return publish;
  }

  /** Publishes one outbox entry; a failure leaves it for the relay. */
  private tryPublish(raw: string): Promise<boolean> {
    const { subject, event } = decodeEvent(raw);
    return this.publisher.publish(subject, event);
  }

  /** Publishes events in order (one connection keeps it); answers whether every one went out. */
  async publishAll(events: OutgoingEvent[]): Promise<boolean> {
    const published = await Promise.all(events.map((e) => this.publisher.publish(e.subject, e.event)));
    return published.every(Boolean);
  }

  /** Publishes a message's pending change events; failures stay pending for the relay. */
  async flushMessage(chatId: string, messageId: string, rawEvents: string[]): Promise<void> {
    for (const raw of rawEvents) {
      if (!(await this.tryPublish(raw))) continue;
      // Under the chat lock: on FerretDB a concurrent update of the message could otherwise be lost.
      await this.locks
        .run(chatId, () => this.messages.clearPendingEvent(messageId, raw))
        .catch((err: unknown) => this.logger.warn({ err }, 'outbox cleanup failed, the relay will retry'));
    }
  }

  /**
   * Whether an event holding this message's text is still to be published: an edit pending in
   * the message itself, its `created` still marked unpublished, or in a send row of a previous
   * version. Looks up rows as the relay does, by the indexed `state` equality.
   */
  async holdsText(message: { id: string; chatId: string; seq: number; pendingEvents: string[] }): Promise<boolean> {
    const textOfIt = (raw: string) => {
      const { event } = decodeEvent(raw);
      const textTypes: readonly MessageEventType[] = messageTextEventTypes;
      return textTypes.includes(event.type) && (event.data as { messageId?: string }).messageId === message.id;
    };
    if (message.pendingEvents.some(textOfIt)) return true;
    const unpublished = await this.numbers.unpublishedOf(message.chatId);
    if (unpublished.some((u) => message.seq >= u.seq && message.seq < u.seq + u.count)) return true;
    const batches = await this.rows.pendingSendBatches();
    return batches.some((batch) => batch.events.some(textOfIt));
  }

  /** Applies (again, idempotently) and publishes one receipt (read or delivered), then drops its row. */
  async flushReceipt(receipt: PendingReceipt, opts: { reapply: boolean }): Promise<void> {
    const { kind, chatId, receiverId } = receipt;
    let { messageIds, revs } = receipt;
    if (opts.reapply) {
      // A receipt cut short (crash, outage) is finished: messages still lacking it get it now, with
      // fresh revs (the row's may be older than changes written since). The event reports every
      // message this receipt recorded, before or now, so chat-api takes each off exactly once.
      ({ messageIds, revs } = await this.locks.run(chatId, async () => {
        const viewer = { chatId, userId: receiverId, clearedAt: receipt.clearedAt };
        const { seq: newestSeq } = await this.numbers.highest(chatId);
        const lacking = await this.messages.lackingReceipt(kind, viewer, messageIds, newestSeq);
        if (lacking.length > 0) {
          const fresh = await this.numbers.withRevs(chatId, lacking.length, async (taken) => {
            const marked = { chatId, receiverId, messageIds: lacking, revs: taken, at: receipt.at };
            await (kind === 'read' ? this.messages.markRead(marked) : this.messages.markDelivered(marked));
            return taken;
          });
          revs = [...revs, ...fresh];
        }
        const recorded = (await this.messages.findInChat(chatId, messageIds)).filter(
          (m) => receiptAt(m, kind, receiverId)?.getTime() === receipt.at.getTime(),
        );
        return { messageIds: recorded.map((m) => m.id), revs };
      }));
    }
    if (messageIds.length > 0) {
      const common = {
        rev: Math.max(...revs),
        revs,
        messageIds,
        timestamp: receipt.at.toISOString(),
        ...(receipt.hiddenFrom.length > 0 && { hiddenFrom: receipt.hiddenFrom }),
      };
      const { subject, event } =
        kind === 'read'
          ? messageEvent('read', chatId, { ...common, readBy: receiverId }, receipt.id)
          : messageEvent('delivered', chatId, { ...common, deliveredTo: receiverId }, receipt.id);
      if (!(await this.publisher.publish(subject, event))) return;
    }
    await this.rows.dropReceipt(receipt.id);
  }

  /**
   * Publishes the `created` events of sends a writer left unpublished. A seq whose message was
   * not stored is skipped; one the store holds with a lower rev than the send took is another
   * message's (the counters were reseeded below it), also skipped.
   */
  private async relaySends(sends: UnpublishedSends): Promise<void> {
    let all = true;
    for (let k = 0; k < sends.count; k++) {
      const message = await this.messages.findBySeq(sends.chatId, sends.seq + k);
      if (!message || message.rev < sends.rev + k) continue;
      const { subject, event } = createdEvent(message, sends.rev + k);
      all = (await this.publisher.publish(subject, event)) && all;
    }
    if (all) await this.numbers.published(sends.mark);
  }

  /** Republishes a send row of a previous version; events of messages that were not stored are dropped. */
  private async relayBatch(batch: PendingSendBatch): Promise<void> {
    let all = true;
    for (const raw of batch.events) {
      const { event } = decodeEvent(raw);
      const data = event.data as { messageId: string; seq: number };
      const stored = await this.messages.findById(data.messageId);
      if (stored?.seq !== data.seq) continue;
      all = (await this.tryPublish(raw)) && all;
    }
    if (all) await this.rows.dropSendBatch(batch.id);
  }

  /**
   * One pass over everything pending for longer than `afterMs`. Answers when the oldest of it was
   * written (undefined: nothing was pending), for the outbox's age.
   */
  private async relayOnce(): Promise<Date | undefined> {
    const cutoff = new Date(Date.now() - this.opts.afterMs);
    const old = <T extends { createdAt: Date }>(rows: T[]) => rows.filter((r) => r.createdAt <= cutoff);
    let oldest = Infinity;
    const waiting = (since: Date) => {
      oldest = Math.min(oldest, since.getTime());
    };
    for (const sends of await this.numbers.unpublishedDue(200)) {
      waiting(sends.takenAt);
      await this.relaySends(sends);
    }
    for (const batch of old(await this.rows.pendingSendBatches(200))) {
      waiting(batch.createdAt);
      await this.relayBatch(batch);
    }
    for (const m of await this.messages.withPendingEvents(cutoff, 200)) {
      if (m.pendingEvents.length === 0) await this.locks.run(m.chatId, () => this.messages.clearPendingEvent(m.id, ''));
      else {
        waiting(m.outboxAt ?? cutoff);
        await this.flushMessage(m.chatId, m.id, m.pendingEvents);
      }
    }
    for (const receipt of old(await this.rows.pendingReceipts(200))) {
      waiting(receipt.createdAt);
      await this.flushReceipt(receipt, { reapply: true });
    }
    return oldest === Infinity ? undefined : new Date(oldest);
  }

  /** Runs the relay now and every `intervalMs`. */
  start(): void {
    this.relay = startOutboxRelay(() => this.relayOnce(), {
      intervalMs: this.opts.intervalMs,
      logger: this.logger,
      metrics: this.opts.metrics,
    });
  }

  /** One relay pass now, after any pass in progress (tests). */
  relayNow(): Promise<void> {
    return this.relay ? this.relay.runOnce() : this.relayOnce().then(() => undefined);
  }

  async stop(): Promise<void> {
    await this.relay?.stop();
    await Promise.all([...this.inFlight].map((p) => p.catch(() => undefined)));
  }
}
