import { ChatError } from './errors.js';
import { normalize } from './live.js';
import type { MessageStore } from './message-store.js';
import { backoff, sleep } from './reliable.js';
import type { RestClient } from './rest.js';

const FEED_PAGE = 100;
/** How long a seq or rev a live event skipped may stay missing before the feed is asked. */
const GAP_WAIT_MS = 150;

/**
 * One chat's catch-up through `GET /changes`: one run at a time; a request during a run makes
 * it go round once more (a change may have landed after its last page). The first run loads
 * the newest `/messages` page and starts the feed at its highest rev.
 */
export class CatchUp {
  private run: Promise<void> | undefined;
  private again = false;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly chatId: string,
    private readonly store: MessageStore,
    private readonly ctx: {
      rest: RestClient;
      pageSize: number;
      /** False once the chat is closed: no more retries. */
      active(): boolean;
      onParticipants(ids: string[]): void;
      onError(err: ChatError): void;
      onSynced(rev: number): void;
    },
  ) {}

  request(initial = false): Promise<void> {
    if (this.run) {
      this.again = true;
      return this.run;
    }
    this.run = this.runOnce(initial).finally(() => (this.run = undefined));
    return this.run;
  }

  /** The same, for callers that only need it to happen (errors were reported already). */
  soon(): void {
    void this.request().catch(() => undefined);
  }

  /**
   * After a live event: if it skipped something (a seq a message waits for, a rev), give the
   * missing one a moment to arrive live (events may come out of order), then read the feed.
   * The wait is not restarted by later events, so a steady stream cannot put the catch-up off;
   * nothing missing, no request.
   */
  afterGap(): void {
    if (this.gapTimer !== undefined || !this.missing()) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      // A run in progress checks again when it ends.
      if (!this.run && this.missing()) this.soon();
    }, GAP_WAIT_MS);
  }

  stop(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }

  private missing(): boolean {
    return this.store.hasWaiting || this.store.hasRevGap;
  }

  private async runOnce(initial: boolean): Promise<void> {
    // The first run may fail (the app hears of it from open()); later ones keep trying while the chat is open.
    const attempts = initial ? 3 : Infinity;
    this.store.beginSync();
    try {
      if (initial) {
        const limit = this.ctx.pageSize;
        const page = await this.retrying(() => this.ctx.rest.messages.list(this.chatId, { limit }), attempts);
        this.ctx.onParticipants(page.chatInfo.participants);
        this.store.loadNewest(page.data.map(normalize), page.data.length < limit);
      }
      do {
        this.again = false;
        for (;;) {
          const since = this.store.cursor;
          const { data } = await this.retrying(
            () => this.ctx.rest.messages.changes(this.chatId, { since, limit: FEED_PAGE }),
            attempts,
          );
          for (const change of data.changes) this.store.applyChange('isDeleted' in change ? change : normalize(change));
          this.store.cursor = Math.max(this.store.cursor, data.rev);
          if (!data.hasMore) break;
          // A lower rev is still being written: the feed holds below it for a moment.
          if (data.changes.length === 0) await sleep(250);
        }
      } while (this.again && this.ctx.active());
    } finally {
      this.store.endSync();
    }
    // A live event past a seq or rev the feed had not reached yet: go round again shortly.
    this.afterGap();
    this.ctx.onSynced(this.store.cursor);
  }

  /** A REST call repeated while it fails with a retryable error, up to `attempts`, while the chat is open. */
  private async retrying<T>(call: () => Promise<T>, attempts: number): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const error = err instanceof ChatError ? err : new ChatError(String(err), 'INTERNAL');
        if (!error.retryable || attempt + 1 >= attempts || !this.ctx.active()) {
          this.ctx.onError(error);
          throw error;
        }
        await sleep(backoff(attempt));
      }
    }
  }
}
