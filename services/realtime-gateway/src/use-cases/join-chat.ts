import { rooms } from '@chat/contracts';
import { AppError } from '@chat/platform';
import type { CallerSocket, GatewayDeps } from './deps.js';
import { endTyping } from './end-typing.js';

const CHAT_ROOM = rooms.chat('');

/**
 * Puts the caller's socket in a chat's room, once chat-api says the caller may read the chat:
 * from the answer on, the socket hears every event of the chat. A socket is in
 * SOCKET_MAX_ROOMS chats at most.
 */
export async function joinChat(
  deps: GatewayDeps,
  command: { userId: string; socket: CallerSocket; chatId: string },
): Promise<{ chatId: string; message: string }> {
  const { userId, socket, chatId } = command;
  const room = rooms.chat(chatId);
  const chatRooms = [...socket.rooms].filter((r) => r.startsWith(CHAT_ROOM)).length;
  if (!socket.rooms.has(room) && chatRooms >= deps.maxRooms) {
    throw new AppError('CONFLICT', `A socket may join at most ${deps.maxRooms} chats; leave one first`);
  }
  await deps.chats.check(chatId, userId, 'read');
  // Typing left over from before a room exit (block, rejection) ends silently, not in the room again.
  if (!socket.rooms.has(room)) await endTyping(deps, { userId, socket, chatId });
  await socket.join(room);
  // Answered once this node hears the chat's events: nothing published after the answer is missed.
  await deps.live.ready(room);
  return { chatId, message: 'Joined chat' };
}
