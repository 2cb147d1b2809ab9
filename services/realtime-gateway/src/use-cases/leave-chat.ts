import { rooms } from '@chat/contracts';
import type { CallerSocket, GatewayDeps } from './deps.js';
import { endTyping } from './end-typing.js';

/** Takes the caller's socket out of a chat's room, ending its typing there first. */
export async function leaveChat(
  deps: GatewayDeps,
  command: { userId: string; socket: CallerSocket; chatId: string },
): Promise<{ chatId: string }> {
  const { userId, socket, chatId } = command;
  await endTyping(deps, { userId, socket, chatId });
  await socket.leave(rooms.chat(chatId));
  return { chatId };
}
