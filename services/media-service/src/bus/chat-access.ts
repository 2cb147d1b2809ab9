import { chatAccessCheck } from '@chat/contracts';
import { forbidden, notFound, type Bus } from '@chat/platform';

/** Asks chat-api (chat.access.check, action `read`) whether a user takes part in a chat. */
export function chatAccessClient(bus: Bus) {
  const check = (chatId: string, userId: string) =>
    bus.request(chatAccessCheck, { chatId, userId, action: 'read' }, { userId });
  return {
    async isParticipant(chatId: string, userId: string): Promise<boolean> {
      return (await check(chatId, userId)).allowed;
    },
    /** 404 for an unknown chat, 403 when the user is not in it. */
    async assertParticipant(chatId: string, userId: string): Promise<void> {
      const res = await check(chatId, userId);
      if (res.allowed) return;
      if (res.reason === 'NOT_FOUND') throw notFound('Chat not found');
      throw forbidden(res.reason === 'NOT_PARTICIPANT' ? 'You are not a participant of this chat' : res.message);
    },
  };
}
export type ChatAccessClient = ReturnType<typeof chatAccessClient>;
