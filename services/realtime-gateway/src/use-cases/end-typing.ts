import { rooms } from '@chat/contracts';
import type { CallerSocket, GatewayDeps } from './deps.js';

/**
 * Ends the socket's typing in `chatId` (if it was typing there), or in every chat when `chatId`
 * is left out (the socket is going away), and tells each room the socket is still in: one taken
 * out of it (the chat was blocked, rejected or deleted) says nothing more there, since a blocked
 * or rejected chat hears no typing at all.
 */
export async function endTyping(
  deps: GatewayDeps,
  command: { userId: string; socket: CallerSocket; chatId?: string },
): Promise<void> {
  const { userId, socket } = command;
  const chatIds = command.chatId === undefined ? deps.typing.chatsOf(socket.id) : [command.chatId];
  for (const chatId of chatIds) {
    if (!deps.typing.endTyping(socket.id, chatId)) continue;
    const room = rooms.chat(chatId);
    if (!socket.rooms.has(room)) continue;
    deps.io
      .to(room)
      .except(rooms.user(userId))
      .emit('user_stop_typing', { userId, chatId, timestamp: new Date().toISOString() });
  }
}
