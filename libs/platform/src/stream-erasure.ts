import type { ConsumerInfo, JetStreamManager, MsgRequest } from '@nats-io/jetstream';

/** Where one durable consumer of a JetStream stream stands (read from its consumer info). */
export interface DurableProgress {
  name: string;
  /** Its subject filters; empty when it takes every subject of the stream. */
  filters: string[];
  /** Every event of its filters up to this stream sequence is acknowledged. */
  ackFloor: number;
  /** The stream sequence of the last event delivered to it. */
  delivered: number;
  /** Events delivered to it and not acknowledged yet. */
  ackPending: number;
}

/** What `eraseAcknowledged` did: how many events it erased, and the first one it had to leave. */
export interface EraseOutcome {
  erased: number;
  /** An event still held by a durable consumer that has not acknowledged it. */
  waiting?: { subject: string; seq: number; consumer: string };
}

/**
 * Whether the NATS subject filter `filter` (`*` one token, `>` every remaining one) takes `subject`.
 * @example subjectMatches('messages.*.deleted.*', 'messages.c1.deleted.m1') // true
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/**
 * Whether `consumer` is done with the stored event `seq` on `subject`: its filters do not take
 * it, or it acknowledged it. Conservative: an event acknowledged above the ack floor while an
 * older one is still pending counts as not yet (it will, once the older one is acknowledged).
 */
export function hasAcknowledged(consumer: DurableProgress, subject: string, seq: number): boolean {
  if (consumer.filters.length > 0 && !consumer.filters.some((f) => subjectMatches(f, subject))) return true;
  if (consumer.ackFloor >= seq) return true;
  // Its filters take the event, so once delivered it is either pending or acknowledged.
  return consumer.ackPending === 0 && consumer.delivered >= seq;
}

/**
 * Deletes the stored events of `stream` on `subjects` (literal subjects), erasing their bytes,
 * once every durable consumer whose filter takes them has acknowledged all of them: no consumer
 * misses an event. All or nothing: while one is held, none is deleted and `waiting` names it.
 *
 * One message delete per event rather than a filtered purge: on nats-server 2.9.10 (Debian's) a
 * filtered purge moves every consumer of the stream past the purged range, so one still behind
 * skips other subjects' events (measured; fixed upstream in nats-io/nats-server#3838, and for
 * wider filters in #5075), while a delete of one sequence touches no consumer and overwrites the
 * event's bytes on disk. Events are found walking forward by
 * subject (`next_by_subj`, an index lookup per block): 2.9.10 answers `last_by_subj` with
 * nothing once the last event of a subject was deleted, even while older ones remain.
 */
export async function eraseAcknowledged(
  jsm: JetStreamManager,
  stream: string,
  subjects: readonly string[],
): Promise<EraseOutcome> {
  const found: { subject: string; seq: number }[] = [];
  for (const subject of subjects) {
    for (let from = 1; ;) {
      // nats-server (2.9 too) answers `next_by_subj` on STREAM.MSG.GET; the client types it for direct gets only.
      const next = { next_by_subj: subject, seq: from } as unknown as MsgRequest;
      const stored = await jsm.streams.getMessage(stream, next);
      if (!stored) break;
      found.push({ subject, seq: stored.seq });
      from = stored.seq + 1;
    }
  }
  if (found.length === 0) return { erased: 0 };
  // Read after the events were found: a consumer state older than an event cannot show it acknowledged.
  const durables = await durableProgress(jsm, stream);
  for (const { subject, seq } of found) {
    const holder = durables.find((d) => !hasAcknowledged(d, subject, seq));
    if (holder) return { erased: 0, waiting: { subject, seq, consumer: holder.name } };
  }
  for (const { seq } of found)
    await jsm.streams.deleteMessage(stream, seq, true).catch(async (err: unknown) => {
      // Gone meanwhile (another replica erased it, or it aged out) is what we wanted.
      if (await jsm.streams.getMessage(stream, { seq })) throw err;
    });
  return { erased: found.length };
}

async function durableProgress(jsm: JetStreamManager, stream: string): Promise<DurableProgress[]> {
  const durables: DurableProgress[] = [];
  for await (const info of jsm.consumers.list(stream)) {
    // Ephemeral consumers are readers (an operator's `nats stream view`), not projections.
    if (info.config.durable_name) durables.push(progressOf(info));
  }
  return durables;
}

function progressOf(info: ConsumerInfo): DurableProgress {
  const filters = info.config.filter_subjects ?? (info.config.filter_subject ? [info.config.filter_subject] : []);
  return {
    name: info.name,
    filters,
    ackFloor: info.ack_floor.stream_seq,
    delivered: info.delivered.stream_seq,
    ackPending: info.num_ack_pending,
  };
}
