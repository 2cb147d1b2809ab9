import { chatAccessCheck, chatSubjects, mediaFileCheck, type ChatAccess, type Media } from '@chat/contracts';

type MediaMessageType = 'image' | 'video' | 'file';
import { forbidden, notFound, ttlCache, type Bus } from '@chat/platform';

export type ChatAction = 'read' | 'send';

/** What message-api asks other services: chat-api about chats, media-service about files. */
export interface AccessGate {
  /** The chat as the user may use it for `action`; throws 404 / 403 otherwise. */
  check(chatId: string, userId: string, action: ChatAction): Promise<ChatAccess>;
  /** The stored media record of a file this user uploaded into this chat, or null. */
  /** The server's record of a file this user uploaded into this chat, and its detected type. */
  mediaFile(fileId: string, chatId: string, userId: string): Promise<{ media: Media; messageType: MediaMessageType } | null>;
  stop(): void;
}

/**
 * Asks chat-api, and keeps its "allowed" answers for `ttlMs` so a conversation costs no NATS
 * round trip per message. Every chat event (accepted, blocked, deleted, ...) drops the chat's
 * answers at once: their keys carry the chat's generation, which the event bumps. Refusals are
 * never kept. `ttlMs` bounds how stale an answer can be if an event is lost.
 */
export function busAccessGate(bus: Bus, opts: { ttlMs: number }): AccessGate {
  const allowed = ttlCache<ChatAccess>({ ttlMs: opts.ttlMs, maxEntries: 50_000 });
  const generations = new Map<string, number>();
  // Unread notices follow every message and change no one's access: not subscribed to.
  const changes = chatSubjects.stateChanges.map((subject) =>
    bus.nc.subscribe(subject, {
      callback: (_err, msg) => {
        const chatId = msg.subject.split('.')[1];
        if (!chatId) return;
        generations.set(chatId, (generations.get(chatId) ?? 0) + 1);
        if (generations.size > 100_000) generations.clear();
      },
    }),
  );

  const ask = async (chatId: string, userId: string, action: ChatAction): Promise<ChatAccess> => {
    const reply = await bus.request(chatAccessCheck, { chatId, userId, action }, { userId });
    if (reply.allowed) return reply.chat;
    if (reply.reason === 'NOT_FOUND') throw notFound(reply.message || 'Chat not found');
    if (reply.reason === 'NOT_PARTICIPANT') throw forbidden(reply.message || 'You are not a participant of this chat');
    throw forbidden(reply.message || 'Not allowed in this chat right now');
  };

  return {
    async check(chatId, userId, action) {
      const key = `${chatId}:${generations.get(chatId) ?? 0}:${userId}:${action}`;
      return (await allowed.get(key, () => ask(chatId, userId, action))) as ChatAccess;
    },
    async mediaFile(fileId, chatId, userId) {
      const reply = await bus.request(mediaFileCheck, { fileId, chatId, userId }, { userId });
      if (!reply.ok || !reply.media || !reply.messageType) return null;
      return { media: reply.media, messageType: reply.messageType };
    },
    stop: () => changes.forEach((c) => c.unsubscribe()),
  };
}
