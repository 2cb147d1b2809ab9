import { chatEventSchema, DURABLES, rooms, STREAMS } from '@chat/contracts';
import type { Bus, Logger, RunningConsumer } from '@chat/platform';
import { roomExitsForChatEvent } from '../../domain/broadcasts.js';
import type { GatewayServer } from '../../clients/gateway-socket.js';

/**
 * Applies chat state changes to sockets: a chat that is blocked, rejected or deleted takes the
 * users' sockets out of its room on every node. The durable consumer is shared by every gateway
 * node: one node handles each event, and the Redis adapter carries the room exit to the others.
 * (Message events and notices reach sockets live, see live-events.ts.) CHATS is chat-api's: until
 * it is declared, the consumer waits for it.
 */
export async function startRoomExits(io: GatewayServer, bus: Bus, logger: Logger): Promise<RunningConsumer> {
  // Message events went through this durable before they went live on core NATS: it would only keep a backlog.
  await bus
    .deleteConsumer(DURABLES.retiredMessageBroadcast.stream, DURABLES.retiredMessageBroadcast.name)
    .catch((err: unknown) => logger.warn({ err }, 'old broadcast consumer of messages not deleted'));
  return bus.consume({
    stream: DURABLES.roomExits.stream,
    durable: DURABLES.roomExits.name,
    filterSubjects: [STREAMS.chats.subjects[0]],
    schema: chatEventSchema,
    orderBy: (event) => event.chatId,
    concurrency: 16,
    handler: async (event) => {
      for (const exit of roomExitsForChatEvent(event))
        io.in(rooms.user(exit.userId)).socketsLeave(rooms.chat(exit.chatId));
    },
  });
}
