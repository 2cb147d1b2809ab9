import {
  messageDelete,
  messageDelivered,
  messageEdit,
  messageRead,
  messageReact,
  messageSend,
  messageSendMedia,
  messageUnreact,
  rooms,
  type ClientEventName,
  type ClientPayload,
} from '@chat/contracts';
import { AppError, type Bus, type ChatAccessClient } from '@chat/platform';
import type { TypingTracker } from '../../use-cases/typing.js';
import type { LiveEvents } from '../bus/live-events.js';
import type { GatewaySocket, SuccessOf } from '../../clients/sockets.js';

export interface HandlerDeps {
  bus: Bus;
  typing: TypingTracker;
  chats: ChatAccessClient;
  live: LiveEvents;
  maxRooms: number;
  /** The usual deadline of a NATS request (NATS_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
}

/**
 * message-api records a receipt one message at a time (FerretDB, see its recordReceipt), a few
 * milliseconds each: a batch of hundreds gets a deadline to match, so that the bus neither gives
 * up on it nor sends it again (the repeat would answer `[]` for what the first attempt recorded).
 */
const RECEIPT_MS_PER_ID = 15;

type Handlers = { [E in ClientEventName]: (input: ClientPayload<E>) => Promise<SuccessOf<E>> };

const chatRoomsOf = (socket: GatewaySocket) => [...socket.rooms].filter((r) => r.startsWith('chat:')).length;

/**
 * The use case behind each client event, for one socket. Reads go to chat-api
 * (`chat.access.check`), writes to message-api (`message.*`), which checks the chat's
 * state and that the message belongs to the chat; the caller's id rides in the NATS header.
 */
export function clientHandlers(socket: GatewaySocket, deps: HandlerDeps): Handlers {
  const { bus } = deps;
  const userId = socket.data.userId;
  const as = { userId };
  const receipt = (ids: number) => ({ userId, timeoutMs: Math.max(deps.requestTimeoutMs, ids * RECEIPT_MS_PER_ID) });

  return {
    async join_chat({ chatId }) {
      const room = rooms.chat(chatId);
      if (!socket.rooms.has(room) && chatRoomsOf(socket) >= deps.maxRooms) {
        throw new AppError('CONFLICT', `A socket may join at most ${deps.maxRooms} chats; leave one first`);
      }
      await deps.chats.check(chatId, userId, 'read');
      // Typing left over from before a room exit (block, rejection) ends silently, not in the room again.
      if (!socket.rooms.has(room)) deps.typing.stop(socket, chatId);
      await socket.join(room);
      // Acknowledged once this node hears the chat's events: nothing published after the ack is missed.
      await deps.live.ready(room);
      return { chatId, message: 'Joined chat' };
    },

    async leave_chat({ chatId }) {
      deps.typing.stop(socket, chatId);
      await socket.leave(rooms.chat(chatId));
      return { chatId };
    },

    async send_message(input) {
      const ack = await bus.request(messageSend, input, as);
      return { messageId: ack.messageId, timestamp: ack.timestamp };
    },

    async send_media(input) {
      const ack = await bus.request(messageSendMedia, input, as);
      return { messageId: ack.messageId, timestamp: ack.timestamp };
    },

    async mark_as_read(input) {
      const ack = await bus.request(messageRead, input, receipt(input.messageIds.length));
      return { messageIds: ack.messageIds };
    },

    async mark_as_delivered(input) {
      const ack = await bus.request(messageDelivered, input, receipt(input.messageIds.length));
      return { messageIds: ack.messageIds };
    },

    async typing({ chatId }) {
      await deps.typing.typing(socket, chatId);
      return {};
    },

    async stop_typing({ chatId }) {
      deps.typing.stopFromClient(socket, chatId);
      return {};
    },

    async edit_message(input) {
      const ack = await bus.request(messageEdit, input, as);
      return { messageId: ack.messageId };
    },

    async delete_message(input) {
      const ack = await bus.request(messageDelete, input, as);
      return { messageId: ack.messageId };
    },

    async add_reaction(input) {
      const ack = await bus.request(messageReact, input, as);
      return { messageId: ack.messageId, emoji: ack.emoji };
    },

    async remove_reaction(input) {
      const ack = await bus.request(messageUnreact, input, as);
      return { messageId: ack.messageId, emoji: ack.emoji };
    },
  };
}
