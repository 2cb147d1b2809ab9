import type { Connection } from './connection.js';
import type { ChatError } from './errors.js';
import { backoff } from './reliable.js';
import type { Message } from './types.js';

const MARK_DELIVERED_MAX = 500;
/** Messages arriving together (a catch-up page, a burst) go out in one receipt. */
const BATCH_WAIT_MS = 30;

/**
 * Delivery receipts for one chat: every message of the other side that reaches the client
 * (live, caught up, or paged in) is reported with `mark_as_delivered`, in batches of up to
 * 500 ids; what could not be sent waits for the next connect.
 */
export class DeliveryReceipts {
  private readonly queue = new Set<string>();
  private flushing = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly chatId: string,
    private readonly ctx: {
      me(): string;
      conn: Connection;
      ackTimeoutMs: number;
      enabled: boolean;
      /** Shared by the client's chats: the server answered "Unknown event" on this connection. */
      delivery: { unsupported: boolean };
      onError(err: ChatError): void;
    },
  ) {}

  /** Queues the messages addressed to me that do not show me as a receiver yet. */
  arrived(messages: readonly Message[]): void {
    if (!this.ctx.enabled) return;
    const me = this.ctx.me();
    for (const m of messages)
      if (m.receiverId === me && !m.deliveredTo.some((d) => d.userId === me) && !m.readBy.some((r) => r.userId === me))
        this.queue.add(m._id);
    this.schedule(BATCH_WAIT_MS);
  }

  /** Sends what waits (after a connect). */
  resume(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.queue.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.size > 0 && this.ctx.conn.connected && !this.ctx.delivery.unsupported) {
        const messageIds = [...this.queue].slice(0, MARK_DELIVERED_MAX);
        try {
          await this.ctx.conn.request('mark_as_delivered', { chatId: this.chatId, messageIds }, this.ctx.ackTimeoutMs);
        } catch (err) {
          const error = err as ChatError;
          if (error.retryable) return this.schedule(backoff(1));
          // A server without delivery receipts: unknown events count towards a disconnect, so stop asking.
          if (/unknown event/i.test(error.message)) this.ctx.delivery.unsupported = true;
          else this.ctx.onError(error);
        }
        for (const id of messageIds) this.queue.delete(id);
      }
    } finally {
      this.flushing = false;
    }
  }
}
