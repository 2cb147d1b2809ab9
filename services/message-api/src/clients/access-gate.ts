import { mediaFileCheck, type ChatAccess, type Media, type MediaMessageType } from '@chat/contracts';
import { chatAccessClient, type Bus, type ChatAction } from '@chat/platform';

export type { ChatAction } from '@chat/platform';

/** What message-api asks other services: chat-api about chats, media-service about files. */
export interface AccessGate {
  /** The chat as the user may use it for `action`; throws 404 / 403 otherwise (`fresh`: not from the cache). */
  check(chatId: string, userId: string, action: ChatAction, opts?: { fresh?: boolean }): Promise<ChatAccess>;
  /** The server's record of a file this user uploaded into this chat, and its detected type, or null. */
  mediaFile(
    fileId: string,
    chatId: string,
    userId: string,
  ): Promise<{ media: Media; messageType: MediaMessageType } | null>;
  stop(): void;
}

/** Chat access from chat-api, its "allowed" answers cached for `ttlMs` (see chatAccessClient). */
export function busAccessGate(bus: Bus, opts: { ttlMs: number }): AccessGate {
  const chats = chatAccessClient(bus, { cacheTtlMs: opts.ttlMs });
  return {
    check: (chatId, userId, action, opts) => chats.check(chatId, userId, action, opts),
    async mediaFile(fileId, chatId, userId) {
      const reply = await bus.request(mediaFileCheck, { fileId, chatId, userId }, { userId });
      if (!reply.ok || !reply.media || !reply.messageType) return null;
      return { media: reply.media, messageType: reply.messageType };
    },
    stop: () => chats.stop(),
  };
}
