import { rooms } from '@chat/contracts';
import { forbidden } from '@chat/platform';
import type { CallerSocket, GatewayDeps } from './deps.js';
import { endTyping } from './end-typing.js';

/**
 * The caller types in a chat: the room hears `user_typing`, once per TYPING_THROTTLE_MS at most
 * over every node and device, then `user_stop_typing` when the socket stops, stays silent for
 * TYPING_TIMEOUT_MS, leaves or disconnects. Only a member of the room who may send in the chat
 * may type (docs/api-guide.md: never from a pending recipient, a rejected or a blocked chat).
 */
export async function startTyping(
  deps: GatewayDeps,
  command: { userId: string; socket: CallerSocket; chatId: string },
): Promise<void> {
  const { userId, socket, chatId } = command;
  const room = rooms.chat(chatId);
  if (!socket.rooms.has(room)) throw forbidden('Join the chat before sending typing events');
  if (!(await deps.chats.allows(chatId, userId, 'send'))) throw forbidden('You may not send messages in this chat');
  deps.typing.keepTyping(socket.id, chatId, () => void endTyping(deps, { userId, socket, chatId }));
  if (await deps.typing.firstInInterval(userId, chatId)) {
    deps.io
      .to(room)
      .except(rooms.user(userId))
      .emit('user_typing', { userId, chatId, timestamp: new Date().toISOString() });
  }
}
