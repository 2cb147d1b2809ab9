import {
  connect,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { z } from 'zod';
import { natsInboxPrefix, type RequestDef } from '@chat/contracts';
import type { Logger } from 'pino';
import { AppError, fromWireError, toAppError, toWireError, unavailable, type WireError } from './errors.js';
import { currentContext, newRequestId, pastDeadline, runWithContext, type RequestContext } from './context.js';
import { parseInput } from './validation.js';
import { csv } from './config.js';
import { eraseAcknowledged, type EraseOutcome } from './stream-erasure.js';
import {
  annotateSpan,
  extractTrace,
  injectTrace,
  inSpan,
  tracingOn,
  type SpanAttributes,
  type SpanOptions,
  type TraceRef,
} from './tracing.js';

const HEADER_REQUEST_ID = 'x-request-id';
const HEADER_USER_ID = 'x-user-id';
const HEADER_DEADLINE = 'x-deadline';

type Reply<T> = { ok: true; data: T } | { ok: false; error: WireError };

export interface StreamSpec {
  name: string;
  subjects: readonly string[];
}

/** What a stream keeps: events older than `maxAgeMs`, or past `maxBytes` in all, are dropped oldest first. */
export interface StreamLimits {
  maxAgeMs: number;
  maxBytes: number;
}
/** Attempts of a request that is safe to repeat, within its one deadline. */
const MAX_ATTEMPTS = 4;
/** The pause before repeating a request that found no responders. */
const RETRY_PAUSE_MS = 150;
/** The longest pause between two looks for a stream that its owner has not declared yet. */
const STREAM_WAIT_MAX_MS = 5_000;
const DEFAULT_STREAM_LIMITS: StreamLimits = { maxAgeMs: 7 * 24 * 3_600_000, maxBytes: 1024 ** 3 };

export interface ConsumerSpec<S extends z.ZodType> {
  stream: string;
  /** Durable name: one per consuming service kind, shared by its replicas. */
  durable: string;
  /** One subject filter (wildcards allowed): multi-filter consumers need nats-server 2.10, Debian ships older. */
  filterSubjects: [string];
  schema: S;
  handler: (event: z.output<S>, subject: string) => Promise<void>;
  /**
   * Events with the same key are handled one at a time, in stream order; events of different
   * keys run side by side, at most `concurrency` at once. Without it, one at a time.
   */
  orderBy?: (event: z.output<S>) => string;
  concurrency?: number;
  /**
   * With `orderBy`: handles every event of one key that is waiting (at most `maxBatch`) in one
   * call, in stream order, instead of `handler` one by one; all are acked, or retried, together.
   */
  handleBatch?: (events: z.output<S>[]) => Promise<void>;
  maxBatch?: number;
  /** With `handleBatch`: how long a key's first event waits for more to join its batch. */
  lingerMs?: number;
  /** How long an unacknowledged event waits before redelivery (a replica died holding it); 30 s. */
  ackWaitMs?: number;
  /** Events pulled ahead of handling (all are redelivered late if the replica dies); 256. */
  prefetch?: number;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

/**
 * Thrown by a consumer's handler that cannot finish an event yet and is not failing (it waits
 * for something else to happen first): the event is redelivered after `delayMs`, without an error log.
 */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * The service's NATS link: typed request/reply with timeouts that become 503s, queue-group
 * handlers that validate and map errors, JetStream publishing and durable consumers.
 */
export class Bus {
  readonly js: JetStreamClient;
  private consumers = new Set<RunningConsumer>();
  private manager: Promise<JetStreamManager> | undefined;

  private constructor(
    readonly nc: NatsConnection,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
    private readonly streamLimits: StreamLimits,
    private readonly streamReplicas: number,
  ) {
    this.js = jetstream(nc);
  }

  static async connect(opts: {
    url: string;
    name: string;
    logger: Logger;
    timeoutMs: number;
    streamLimits?: StreamLimits;
    /** Copies of each stream a NATS cluster keeps (3 in production: one node may die). */
    streamReplicas?: number;
    /** This service's NATS user (its subject permissions) and password; replies come under its own inbox prefix. */
    credentials?: { user: string; pass: string };
  }): Promise<Bus> {
    const nc = await connect({
      servers: csv(opts.url), // every member of a cluster: the client fails over between them
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // No call-site stack captured per request and JetStream publish (the client's own advice
      // for speed): a failed request becomes UNAVAILABLE here, its stack is never shown.
      noAsyncTraces: true,
      ...(opts.credentials && { ...opts.credentials, inboxPrefix: natsInboxPrefix(opts.credentials.user) }),
    });
    return new Bus(
      nc,
      opts.logger,
      opts.timeoutMs,
      opts.streamLimits ?? DEFAULT_STREAM_LIMITS,
      opts.streamReplicas ?? 1,
    );
  }

  isConnected(): boolean {
    return !this.nc.isClosed() && !this.nc.isDraining();
  }

  /**
   * Sends a request and returns the validated reply; a remote AppError is rethrown as is,
   * and a timeout or missing responder becomes a 503 UNAVAILABLE.
   * @example const access = await bus.request(chatAccessCheck, { chatId, userId, action: 'read' });
   */
  request<Req extends z.ZodType, Res extends z.ZodType>(
    def: RequestDef<Req, Res>,
    data: z.input<Req>,
    opts: { userId?: string; timeoutMs?: number } = {},
  ): Promise<z.output<Res>> {
    if (!tracingOn()) return this.send(def, data, opts);
    const span = { kind: 'client' as const, attributes: natsAttributes(def.subject) };
    return inSpan(`request ${def.subject}`, span, () => this.send(def, data, opts));
  }

  private async send<Req extends z.ZodType, Res extends z.ZodType>(
    def: RequestDef<Req, Res>,
    data: z.input<Req>,
    opts: { userId?: string; timeoutMs?: number },
  ): Promise<z.output<Res>> {
    const ctx = currentContext();
    const h = natsHeaders();
    if (tracingOn()) injectTrace((name, value) => h.set(name, value));
    h.set(HEADER_REQUEST_ID, ctx?.requestId ?? newRequestId());
    const userId = opts.userId ?? ctx?.userId;
    if (userId) h.set(HEADER_USER_ID, userId);
    // The responder drops work we no longer wait for; a nested request keeps the outer deadline.
    if (pastDeadline(ctx)) throw unavailable('The request timed out before it could be sent, try again');
    const timeout = Math.max(1, Math.min(opts.timeoutMs ?? this.timeoutMs, (ctx?.deadline ?? Infinity) - Date.now()));
    const deadline = Date.now() + timeout;
    h.set(HEADER_DEADLINE, String(deadline));
    // A request lost with a NATS node (or its reply) would cost the whole timeout: one that is
    // safe to repeat gets half of what is left, then is sent again. A failure that comes back at
    // once ("no responders" while the responders' subscriptions move to another node) is
    // repeated after a short pause.
    const retrySafe = def.retrySafe(data);
    let msg: Msg | undefined;
    for (let attempt = 1; !msg; attempt++) {
      const left = deadline - Date.now();
      const last = !retrySafe || attempt >= MAX_ATTEMPTS;
      const attemptTimeout = Math.max(1, last ? left : Math.ceil(left / 2));
      const sentAt = Date.now();
      try {
        msg = await this.nc.request(def.subject, JSON.stringify(data), { timeout: attemptTimeout, headers: h });
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, subject: def.subject, attempt }, 'NATS request failed');
        if (last || deadline - Date.now() < RETRY_PAUSE_MS * 2) {
          throw unavailable(`The ${def.subject.split('.')[0]} service did not answer in time`);
        }
        if (Date.now() - sentAt < attemptTimeout / 2) await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
      }
    }
    const reply = msg.json<Reply<unknown>>();
    if (!reply.ok) throw fromWireError(reply.error);
    const parsed = def.reply.safeParse(reply.data);
    if (!parsed.success) {
      this.logger.error({ subject: def.subject, issues: parsed.error.issues }, 'malformed NATS reply');
      throw new AppError('INTERNAL', 'Internal error');
    }
    return parsed.data;
  }

  /**
   * Serves a request subject in a queue group (each request handled once per service kind).
   * The payload is validated by the contract; errors go back as wire errors, never as crashes.
   */
  handle<Req extends z.ZodType, Res extends z.ZodType>(
    def: RequestDef<Req, Res>,
    queue: string,
    handler: (data: z.output<Req>, ctx: RequestContext) => Promise<z.input<Res>>,
  ): Subscription {
    return this.nc.subscribe(def.subject, {
      queue,
      callback: (err, msg) => {
        if (err) {
          this.logger.error({ err, subject: def.subject }, 'subscription error');
          return;
        }
        const ctx = contextFrom(msg.headers);
        // The caller has given up: any answer would be a lie nobody reads, and the work a waste.
        if (pastDeadline(ctx)) {
          this.logger.warn({ subject: def.subject, requestId: ctx.requestId }, 'request past its deadline, dropped');
          return;
        }
        // A child of the caller's span: the request and its handling are one trace.
        const span = tracingOn()
          ? {
              kind: 'server' as const,
              parent: traceOf(msg) ?? ('root' as const),
              attributes: natsAttributes(def.subject),
            }
          : {};
        void runWithContext(ctx, () =>
          inSpan(`handle ${def.subject}`, span, async () => {
            let reply: Reply<unknown>;
            try {
              const data = parseInput(def.request, safeJson(msg), def.subject);
              reply = { ok: true, data: await handler(data, ctx) };
            } catch (e) {
              const error = toAppError(e, this.logger);
              if (tracingOn()) annotateSpan({ 'error.type': error.code });
              reply = { ok: false, error: toWireError(error) };
            }
            if (msg.reply) msg.respond(JSON.stringify(reply));
          }),
        );
      },
    });
  }

  /** Creates the streams, or updates their subjects and limits; safe to call from every replica. */
  async ensureStreams(streams: readonly StreamSpec[]): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const limits = {
      max_age: this.streamLimits.maxAgeMs * 1_000_000,
      max_bytes: this.streamLimits.maxBytes,
      num_replicas: this.streamReplicas,
    };
    for (const s of streams) {
      try {
        await jsm.streams.info(s.name);
        await jsm.streams.update(s.name, { subjects: [...s.subjects], ...limits });
      } catch {
        try {
          await jsm.streams.add({
            name: s.name,
            subjects: [...s.subjects],
            duplicate_window: 2 * 60 * 1_000_000_000,
            ...limits,
          });
        } catch (err) {
          // Another replica may have created it between our two calls.
          await jsm.streams.info(s.name).catch(() => {
            throw err;
          });
        }
      }
    }
  }

  /** Publishes a domain event to JetStream; `eventId` is the de-duplication id. Throws if not stored. */
  async publish<E extends { eventId: string }>(subject: string, event: E): Promise<void> {
    const send = () =>
      this.js.publish(subject, JSON.stringify(event), { msgID: event.eventId, headers: traceHeaders() });
    if (!tracingOn()) {
      await send();
      return;
    }
    const attributes = natsAttributes(subject, { 'messaging.message.id': event.eventId });
    await inSpan(`publish ${subjectPattern(subject)}`, { kind: 'producer', attributes }, send);
  }

  /**
   * Publishes on core NATS, kept by no stream: at most once, for what a later message or a read
   * of the authority corrects (notices). Never throws; a closed connection drops it.
   */
  notify(subject: string, payload: unknown): void {
    try {
      const headers = traceHeaders();
      this.nc.publish(subject, JSON.stringify(payload), headers && { headers });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, subject }, 'notice not published');
    }
  }

  /** Deletes a durable consumer (one that is gone already is no error). */
  async deleteConsumer(stream: string, durable: string): Promise<void> {
    const jsm = await this.jsm();
    const exists = await jsm.consumers.info(stream, durable).then(
      () => true,
      () => false,
    );
    if (exists) await jsm.consumers.delete(stream, durable);
  }

  /**
   * Runs a durable consumer with explicit acks. A malformed event is logged and terminated;
   * a failing handler is retried later (nak with delay), so handlers must be idempotent.
   * A stream is declared by its owner only: until the owner has declared it, the consumer waits
   * for it in the background (services start in any order), and starts once it is there.
   */
  async consume<S extends z.ZodType>(spec: ConsumerSpec<S>): Promise<RunningConsumer> {
    let stopped = false;
    let wake: (() => void) | undefined;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => (clearTimeout(timer), resolve());
      });
    // Anything but a missing stream (no permission, a bad config) fails the start as before.
    let messages = await this.openConsumer(spec).catch((err: unknown) => {
      if (!streamMissing(err)) throw err;
      this.logger.warn(
        { stream: spec.stream, durable: spec.durable },
        'stream not declared yet (its owner declares it): the consumer waits for it',
      );
      return undefined;
    });
    const waited = !messages;
    const opened = (async () => {
      for (let waitMs = 250; !messages && !stopped; waitMs = Math.min(waitMs * 2, STREAM_WAIT_MAX_MS)) {
        await pause(waitMs);
        if (stopped) break;
        messages = await this.openConsumer(spec).catch((err: unknown) => {
          if (!streamMissing(err))
            this.logger.error({ err, durable: spec.durable }, 'consumer not started, will retry');
          return undefined;
        });
      }
      if (stopped) {
        await messages?.close().catch(() => undefined);
        return undefined;
      }
      if (waited) this.logger.info({ stream: spec.stream, durable: spec.durable }, 'stream declared: consumer started');
      return messages;
    })();
    type Pulled = { m: JsMsg; event: z.output<S> };
    // A trace of its own, linked to the publish of each event it handles.
    const consumed = (batch: Pulled[]): SpanOptions => ({
      kind: 'consumer',
      parent: 'root',
      links: batch.map(({ m }) => traceOf(m)),
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': spec.stream,
        'messaging.consumer.group.name': spec.durable,
        'messaging.batch.message_count': batch.length,
      },
    });
    const settle = async (batch: Pulled[], run: () => Promise<void>) => {
      const first = batch[0] as Pulled;
      try {
        const requestId = (first.event as { eventId?: string }).eventId ?? newRequestId();
        await runWithContext(
          { requestId },
          tracingOn() ? () => inSpan(`process ${spec.durable}`, consumed(batch), run) : run,
        );
        for (const { m } of batch) m.ack();
      } catch (err) {
        if (err instanceof RetryLater) {
          const redelivery = first.m.info.deliveryCount;
          // Waiting is normal; a long wait (a consumer stuck or gone) deserves a look.
          this.logger[redelivery >= 50 ? 'warn' : 'debug'](
            { subject: first.m.subject, reason: err.message, redelivery },
            'event waits, will retry',
          );
          for (const { m } of batch) m.nak(err.delayMs);
          return;
        }
        this.logger.error(
          { err, subject: first.m.subject, events: batch.length, redelivery: first.m.info.deliveryCount },
          'event handler failed, will retry',
        );
        for (const { m } of batch) m.nak(Math.min(30_000, 500 * 2 ** Math.min(m.info.deliveryCount, 6)));
      }
    };
    const handleOne = (p: Pulled) => settle([p], () => spec.handler(p.event, p.m.subject));
    const concurrency = spec.orderBy ? Math.max(1, spec.concurrency ?? 1) : 1;
    const maxBatch = spec.handleBatch ? Math.max(1, spec.maxBatch ?? 100) : 1;
    // Per key, the events waiting; a key is worked by one task at a time, at most `concurrency` keys at once.
    const waiting = new Map<string, Pulled[]>();
    const working = new Map<string, Promise<void>>();
    const linger = spec.handleBatch ? (spec.lingerMs ?? 0) : 0;
    const work = async (key: string) => {
      if (linger > 0) await new Promise((r) => setTimeout(r, linger));
      for (let queue = waiting.get(key); queue?.length; queue = waiting.get(key)) {
        const batch = queue.splice(0, maxBatch);
        if (spec.handleBatch && batch.length > 1)
          await settle(batch, () => spec.handleBatch!(batch.map((p) => p.event)));
        else await handleOne(batch[0] as Pulled);
      }
      // In the same tick as the last look at the queue, so an event pulled meanwhile starts a new task.
      waiting.delete(key);
      working.delete(key);
    };
    const loop = (async () => {
      const pulled = await opened;
      if (!pulled) return;
      for await (const m of pulled) {
        let event: z.output<S>;
        try {
          event = parseInput(spec.schema, m.json(), m.subject);
        } catch (err) {
          this.logger.error({ err, subject: m.subject }, 'dropping malformed event');
          m.term();
          continue;
        }
        if (!spec.orderBy || concurrency === 1) {
          await handleOne({ m, event });
          continue;
        }
        const key = spec.orderBy(event);
        const queue = waiting.get(key);
        if (queue) queue.push({ m, event });
        else waiting.set(key, [{ m, event }]);
        if (working.has(key)) continue;
        while (working.size >= concurrency) await Promise.race(working.values());
        if (!working.has(key)) working.set(key, work(key));
      }
      await Promise.all(working.values());
    })();
    const running: RunningConsumer = {
      stop: async () => {
        this.consumers.delete(running);
        stopped = true;
        wake?.();
        await messages?.close().catch(() => undefined);
        await loop.catch(() => undefined);
      },
    };
    this.consumers.add(running);
    return running;
  }

  /** Creates the durable (or updates its filter and ack wait) and starts pulling from it. */
  private async openConsumer<S extends z.ZodType>(spec: ConsumerSpec<S>): Promise<ConsumerMessages> {
    const jsm = await this.jsm();
    const [filterSubject] = spec.filterSubjects;
    const config = {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filterSubject,
      ack_wait: (spec.ackWaitMs ?? 30_000) * 1_000_000,
    };
    try {
      await jsm.consumers.info(spec.stream, spec.durable);
      await jsm.consumers.update(spec.stream, spec.durable, {
        filter_subject: filterSubject,
        ack_wait: config.ack_wait,
      });
    } catch {
      await jsm.consumers.add(spec.stream, config).catch(async (err: unknown) => {
        await jsm.consumers.info(spec.stream, spec.durable).catch(() => {
          throw err;
        });
      });
    }
    const consumer = await this.js.consumers.get(spec.stream, spec.durable);
    // Short pulls: after a NATS node dies, a pull it held is renewed on another within seconds
    // (the default 30 s expiry left counts stale that long).
    return consumer.consume({ max_messages: spec.prefetch ?? 256, expires: 5_000 });
  }

  /** `eraseAcknowledged` (stream-erasure.ts) on this connection. */
  async eraseAcknowledged(stream: string, subjects: readonly string[]): Promise<EraseOutcome> {
    return eraseAcknowledged(await this.jsm(), stream, subjects);
  }

  private jsm(): Promise<JetStreamManager> {
    this.manager ??= jetstreamManager(this.nc).catch((err: unknown) => {
      this.manager = undefined;
      throw err;
    });
    return this.manager;
  }

  /** Stops consumers, lets in-flight handlers finish, then drains and closes the connection. */
  async drain(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

/** The stream does not exist (yet): its owner has not declared it. */
function streamMissing(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

function safeJson(msg: Msg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}

/** The trace attributes of a NATS hop (its subject may hold a chat's or a message's id, nothing else). */
const natsAttributes = (subject: string, more: SpanAttributes = {}): SpanAttributes => ({
  'messaging.system': 'nats',
  'messaging.destination.name': subject,
  ...more,
});

const ID_TOKEN = /^([0-9a-f]{24}|[0-9a-f-]{36})$/i;
/**
 * A subject with its ids as `*`, to name spans by (`messages.*.created.*`): a span name is a
 * kind of work, not one instance of it.
 */
export const subjectPattern = (subject: string): string =>
  subject
    .split('.')
    .map((token) => (ID_TOKEN.test(token) ? '*' : token))
    .join('.');

/** Headers that carry the current span (W3C `traceparent`) to the receiver; none without tracing. */
function traceHeaders(): MsgHdrs | undefined {
  if (!tracingOn()) return undefined;
  const h = natsHeaders();
  injectTrace((name, value) => h.set(name, value));
  return h;
}

/**
 * The span whose work a received message continues (its sender's `traceparent`), to make a
 * child of or link to; undefined without tracing.
 * @example inSpan('deliver', { kind: 'consumer', parent: traceOf(msg) ?? 'root' }, () => deliver(msg));
 */
export function traceOf(msg: { headers?: MsgHdrs }): TraceRef | undefined {
  const h = msg.headers;
  return h && tracingOn() ? extractTrace((name) => h.get(name) || undefined) : undefined;
}

function contextFrom(h: MsgHdrs | undefined): RequestContext {
  const requestId = h?.get(HEADER_REQUEST_ID) || newRequestId();
  const userId = h?.get(HEADER_USER_ID) || undefined;
  const deadline = Number(h?.get(HEADER_DEADLINE)) || undefined;
  return { requestId, ...(userId ? { userId } : {}), ...(deadline ? { deadline } : {}) };
}
