import { chatAccessCheck, mediaFileCheck, type ChatAccess, type Media } from '@chat/contracts';
import { AppError, forbidden, notFound, type Bus } from '@chat/platform';

export type ChatAction = 'read' | 'send';

/** What message-api asks other services: chat-api about chats, media-service about files. */
export interface AccessGate {
  /** The chat as the user may use it for `action`; throws 404 / 403 otherwise. */
  check(chatId: string, userId: string, action: ChatAction): Promise<ChatAccess>;
  /** The stored media record of a file this user uploaded into this chat, or null. */
  mediaFile(fileId: string, chatId: string, userId: string): Promise<Media | null>;
}

export function busAccessGate(bus: Bus): AccessGate {
  return {
    async check(chatId, userId, action) {
      const reply = await bus.request(chatAccessCheck, { chatId, userId, action }, { userId });
      if (reply.allowed) return reply.chat;
      if (reply.reason === 'NOT_FOUND') throw notFound(reply.message || 'Chat not found');
      if (reply.reason === 'NOT_PARTICIPANT')
        throw forbidden(reply.message || 'You are not a participant of this chat');
      throw forbidden(reply.message || 'Not allowed in this chat right now');
    },
    async mediaFile(fileId, chatId, userId) {
      const reply = await bus.request(mediaFileCheck, { fileId, chatId, userId }, { userId });
      if (!reply.ok) return null;
      return reply.media ?? null;
    },
  };
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
