import { QUEUE_GROUPS, chatAccessCheck, chatListForUser } from '@chat/contracts';
import type { Bus } from '@chat/platform';
import type { ChatRepository } from '../data/chat-repository.js';
import { decideAccess } from '../domain/access.js';

/**
 * The NATS face other services use instead of reading `chats`. The user in question is in the
 * payload (services ask about the user they act for); one indexed lookup per question.
 */
export function serveChatQueries(bus: Bus, chats: ChatRepository) {
  const subs = [
    bus.handle(chatAccessCheck, QUEUE_GROUPS.chatApi, async ({ chatId, userId, action }) =>
      decideAccess(await chats.findById(chatId), userId, action),
    ),
    bus.handle(chatListForUser, QUEUE_GROUPS.chatApi, async ({ userId }) => ({
      chatIds: await chats.chatIdsOf(userId),
    })),
  ];
  return {
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
