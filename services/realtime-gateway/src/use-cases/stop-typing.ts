import { rooms } from '@chat/contracts';
import { forbidden } from '@chat/platform';
import type { CallerSocket, GatewayDeps } from './deps.js';
import { endTyping } from './end-typing.js';

/** The caller says they stopped typing (`stop_typing`): only a member of the chat, or a socket still typing there, may. */
export async function stopTyping(
  deps: GatewayDeps,
  command: { userId: string; socket: CallerSocket; chatId: string },
): Promise<void> {
  const { userId, socket, chatId } = command;
  if (!socket.rooms.has(rooms.chat(chatId)) && !deps.typing.isTyping(socket.id, chatId)) {
    throw forbidden('Join the chat before sending typing events');
  }
  await endTyping(deps, { userId, socket, chatId });
}
