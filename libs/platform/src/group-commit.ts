import { unavailable } from './errors.js';
import { currentTrace, inSpan, type TraceRef } from './tracing.js';

export interface GroupCommitOptions<I, R> {
  /** Writes one batch; answers one result per item, in order (a throw fails the whole batch). */
  flush(items: I[]): Promise<R[]>;
  /** Most items written in one batch. */
  maxBatch: number;
  /** Most items waiting; past it `submit` refuses at once (503) instead of queueing without end. */
  maxQueued: number;
  /** Batches written at the same time. */
  concurrency: number;
}

/**
 * Group commit: an item submitted while every writer is busy waits and goes with the others in
 * the next batch. Alone, an item is written at once (no timer adds latency); under load the
 * wait is bounded by one batch's write and the batch by `maxBatch`.
 * @example const inserts = groupCommit({ flush: (docs) => insertAll(docs), maxBatch: 128, maxQueued: 5000, concurrency: 2 });
 */
export function groupCommit<I, R>(opts: GroupCommitOptions<I, R>) {
  /** `trace`: the submitter's span, which the batch that writes the item continues or links to. */
  const queue: { item: I; trace: TraceRef | undefined; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let writing = 0;

  const pump = () => {
    while (writing < opts.concurrency && queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      writing++;
      // A batch is part of its first submitter's trace (not of whichever batch ran before it), linked to the others'.
      const [first, ...others] = batch.map((w) => w.trace);
      const span = { parent: first ?? ('root' as const), links: others, attributes: { 'batch.size': batch.length } };
      void inSpan('write batch', span, () => opts.flush(batch.map((w) => w.item)))
        .then(
          (results) => batch.forEach((w, i) => w.resolve(results[i] as R)),
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          writing--;
          pump();
        });
    }
  };

  return {
    submit(item: I): Promise<R> {
      if (queue.length >= opts.maxQueued) return Promise.reject(unavailable('Too many writes waiting, try again'));
      const result = new Promise<R>((resolve, reject) => queue.push({ item, trace: currentTrace(), resolve, reject }));
      pump();
      return result;
    },
  };
}
export type GroupCommit<I, R> = ReturnType<typeof groupCommit<I, R>>;
