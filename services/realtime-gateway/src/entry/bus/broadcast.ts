import { z } from 'zod';
import { chatEventSchema, messageEventSchema, rooms, STREAMS, unreadChangedEvent } from '@chat/contracts';
import type { Bus, Logger, RunningConsumer } from '@chat/platform';
import { broadcastsForChatEvent, broadcastsForMessageEvent, type Broadcast } from '../../domain/broadcasts.js';
import { emitLoose, type GatewayServer } from '../../clients/sockets.js';

export const BROADCAST_DURABLE = 'realtime-gateway-broadcast';

const chatStreamEventSchema = z.union([chatEventSchema, unreadChangedEvent]);

/**
 * Turns domain events into socket broadcasts. The durable consumers are shared by every
 * gateway node, so each event is handled by one node and the Redis adapter carries the
 * emission to the sockets on all the others.
 */
export async function startBroadcasting(
  io: GatewayServer,
  bus: Bus,
  opts: { maxAgeMs: number; logger: Logger },
): Promise<RunningConsumer[]> {
  const apply = async (broadcasts: Broadcast[]) => {
    for (const b of broadcasts) {
      if (b.kind === 'emit') emitLoose(io.to(b.to), b.event, b.payload);
      else io.in(rooms.user(b.userId)).socketsLeave(rooms.chat(b.chatId));
    }
  };
  // Stale news is not replayed to sockets after an outage: clients catch up through /changes.
  const fresh = (occurredAt: string) => Date.now() - Date.parse(occurredAt) <= opts.maxAgeMs;

  const messages = await bus.consume({
    stream: STREAMS.messages.name,
    durable: BROADCAST_DURABLE,
    filterSubjects: [STREAMS.messages.subjects[0]],
    schema: messageEventSchema,
    // One chat's broadcasts in stream order; different chats side by side.
    orderBy: (event) => event.chatId,
    concurrency: 16,
    handler: async (event) => {
      if (fresh(event.occurredAt)) await apply(broadcastsForMessageEvent(event));
    },
  });
  const chats = await bus.consume({
    stream: STREAMS.chats.name,
    durable: BROADCAST_DURABLE,
    filterSubjects: [STREAMS.chats.subjects[0]],
    schema: chatStreamEventSchema,
    orderBy: (event) => event.chatId,
    concurrency: 16,
    handler: async (event) => {
      const broadcasts = broadcastsForChatEvent(event);
      // Leaving rooms is applied however late it comes; notifications only while fresh.
      await apply(fresh(event.occurredAt) ? broadcasts : broadcasts.filter((b) => b.kind === 'leave'));
    },
  });
  return [messages, chats];
}
