import { DURABLES, messageEventSchema, messageSubjects } from '@chat/contracts';
import type { Bus, Metrics, RunningConsumer } from '@chat/platform';
import type { ChatDeps } from '../../use-cases/deps.js';
import { projectMessageEvents } from '../../use-cases/project-message-events.js';

/** The durable consumer of the MESSAGES stream that keeps chats' last message and counters. */
export async function startMessageProjection(
  bus: Bus,
  deps: ChatDeps,
  opts: { metrics: Metrics; lingerMs: number },
): Promise<RunningConsumer> {
  const projected = opts.metrics.counter(
    'chat_projection_events_total',
    'Message events projected onto chats, by type',
    ['type'],
  );
  return bus.consume({
    stream: DURABLES.chatProjection.stream,
    durable: DURABLES.chatProjection.name,
    filterSubjects: [messageSubjects.all],
    schema: messageEventSchema,
    // Chats are independent: project many at once, each chat's events in stream order, and
    // the events of a chat that wait together in one write (PROJECTION_LINGER_MS).
    orderBy: (event) => event.chatId,
    concurrency: 16,
    lingerMs: opts.lingerMs,
    // What a dead replica held comes back soon and is little, well inside the applied-rev window.
    ackWaitMs: 10_000,
    prefetch: 64,
    handler: async (event) => {
      await projectMessageEvents(deps, { events: [event] });
      projected.inc({ type: event.type });
    },
    handleBatch: async (events) => {
      await projectMessageEvents(deps, { events });
      for (const event of events) projected.inc({ type: event.type });
    },
  });
}
