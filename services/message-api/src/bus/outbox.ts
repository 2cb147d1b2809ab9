import type { Collection } from 'mongodb';
import type { Logger, Metrics } from '@chat/platform';
import type { KeyedLock } from '@chat/platform';
import type { MessageRepository } from '../data/messages.js';
import type { ReadOutboxDoc } from '../data/models.js';
import { decodeEvent, messageEvent, type EventPublisher } from './events.js';

/**
 * Publishes events after their write, and catches up on any that could not be published.
 *
 * Message events are written inside the message document (`pendingEvents`) by the same
 * update that makes the change, so a change acknowledged to a client always has its event
 * stored. After the write we publish and remove it; if publishing fails (NATS down, stream
 * missing) the relay republishes it later. JetStream de-duplicates on the event id, so a
 * double publish (two replicas, a crash between publish and removal) is harmless.
 *
 * `read` events span many messages: they go to `read_outbox` first, then the read is applied;
 * the relay re-applies (idempotent) and publishes rows left behind.
 */
export class EventOutbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly failures;
  /** Publishes still running after their command was answered. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly publisher: EventPublisher,
    private readonly messages: MessageRepository,
    private readonly locks: KeyedLock,
    private readonly readOutbox: Collection<ReadOutboxDoc>,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly opts: { intervalMs: number; afterMs: number; publishWaitMs: number },
  ) {
    this.failures = metrics.counter(
      'message_event_publish_failures_total',
      'Events whose publish failed (the relay retries them)',
    );
  }

  /**
   * Publishes right after a write, waiting at most `publishWaitMs`: the command is answered
   * once its write is durable, and a slow or hanging JetStream (stream missing, NATS cut off)
   * must not hold the answer. A publish that has not finished goes on in the background.
   */
  async afterWrite(publish: () => Promise<void>): Promise<void> {
    const running = publish().catch((err: unknown) => this.logger.warn({ err }, 'publish after write failed'));
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      running,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.publishWaitMs))),
    ]);
    clearTimeout(timer);
  }

  /** Publishes one event; a failure is counted and logged and leaves it for the relay. */
  private async tryPublish(subject: string, event: { eventId: string }): Promise<boolean> {
    try {
      await this.publisher.publish(subject, event);
      return true;
    } catch (err) {
      this.failures.inc();
      this.logger.warn(
        { err: (err as Error).message, subject, eventId: event.eventId },
        'event publish failed, the relay will retry',
      );
      return false;
    }
  }

  /** Publishes a message's pending events; failures stay pending for the relay. */
  async flushMessage(chatId: string, messageId: string, rawEvents: string[]): Promise<void> {
    for (const raw of rawEvents) {
      const { subject, event } = decodeEvent(raw);
      if (!(await this.tryPublish(subject, event))) continue;
      // Under the chat lock: on FerretDB a concurrent update of the message could otherwise be lost.
      await this.locks
        .run(chatId, () => this.messages.clearPendingEvent(messageId, raw))
        .catch((err: unknown) => this.logger.warn({ err }, 'outbox cleanup failed, the relay will retry'));
    }
  }

  /** Applies (again, idempotently) and publishes one read, then drops its row. */
  async flushRead(row: ReadOutboxDoc, opts: { reapply: boolean }): Promise<void> {
    const chatId = row.chatId.toHexString();
    const readerId = row.readerId.toHexString();
    const messageIds = row.messageIds.map((id) => id.toHexString());
    let revs = row.revs;
    if (opts.reapply) {
      // Fresh revs: the row's may be older than changes written since.
      revs = await this.locks.run(chatId, async () => {
        const { rev } = await this.messages.lastNumbers(chatId);
        const fresh = messageIds.map((_, i) => rev + 1 + i);
        await this.messages.markRead(chatId, readerId, messageIds, fresh, row.readAt);
        return fresh;
      });
    }
    const unreadCount = await this.messages
      .visibleTo({ chatId, userId: readerId, clearedAt: row.clearedAt })
      .unreadCount();
    const { subject, event } = messageEvent(
      'read',
      chatId,
      { rev: Math.max(...revs), messageIds, readBy: readerId, timestamp: row.readAt.toISOString(), unreadCount },
      row._id,
    );
    if (await this.tryPublish(subject, event)) await this.readOutbox.deleteOne({ _id: row._id });
  }

  /** One pass over everything pending for longer than `afterMs`. */
  async relayOnce(): Promise<void> {
    const cutoff = new Date(Date.now() - this.opts.afterMs);
    for (const m of await this.messages.withPendingEvents(cutoff, 200)) {
      if (m.pendingEvents.length === 0)
        await this.locks.run(m.chatId, () => this.messages.clearPendingEvent(m.id, ''));
      else await this.flushMessage(m.chatId, m.id, m.pendingEvents);
    }
    const rows = await this.readOutbox
      .find({ createdAt: { $lte: cutoff } })
      .sort({ createdAt: 1 })
      .limit(200)
      .toArray();
    for (const row of rows) await this.flushRead(row, { reapply: true });
  }

  /** Runs the relay now and every `intervalMs`; never two passes at once in this process. */
  start(): void {
    const tick = () => {
      if (this.running) return;
      this.running = this.relayOnce()
        .catch((err: unknown) => this.logger.warn({ err }, 'outbox relay pass failed'))
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await Promise.all([...this.inFlight]);
  }
}
