import { chatListForUser, rooms } from '@chat/contracts';
import type { GatewayDeps } from './deps.js';

/**
 * Tells the rooms of every chat that hears the user's presence (their contacts' chats, from
 * chat-api) that the user came online or went offline; their own sockets are left out. Said
 * only if still true once the chats are known, and never thrown: a failure is logged.
 */
export async function announcePresence(
  deps: GatewayDeps,
  command: { userId: string; event: 'user_online' | 'user_offline' },
): Promise<void> {
  const { userId, event } = command;
  try {
    const { chatIds } = await deps.bus.request(chatListForUser, { userId }, { userId });
    // Another socket may have come or gone while we asked: announce only what is still true.
    if ((await deps.presence.isOnline(userId)) !== (event === 'user_online')) return;
    deps.logger.debug({ userId, event, chats: chatIds.length }, 'presence change');
    const timestamp = new Date().toISOString();
    for (const chatId of chatIds) {
      deps.io.to(rooms.chat(chatId)).except(rooms.user(userId)).emit(event, { userId, chatId, timestamp });
    }
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, userId, event }, 'presence announcement failed');
  }
}
