import { chatAccessCheck, chatActions, chatSubjects, type ChatAccess } from '@chat/contracts';
import { AppError, forbidden, notFound } from './errors.js';
import type { Bus } from './nats.js';
import { ttlCache } from './ttl-cache.js';

export type ChatAction = (typeof chatActions)[number];

/** chat-api's answer to "may this user do this in this chat", as every other service asks it. */
export interface ChatAccessClient {
  /**
   * The chat as the user may use it for `action`; throws 404 (unknown chat) or 403 otherwise.
   * `fresh` asks chat-api even when an answer is cached (for what the answer carries beyond
   * access: the caller's message count).
   */
  check(chatId: string, userId: string, action: ChatAction, opts?: { fresh?: boolean }): Promise<ChatAccess>;
  /** The same question answered yes or no. */
  allows(chatId: string, userId: string, action: ChatAction): Promise<boolean>;
  stop(): void;
}

/**
 * Asks chat-api over `chat.access.check`. With `cacheTtlMs`, "allowed" answers are kept that
 * long so a conversation costs no round trip per message, and every chat event (accepted,
 * blocked, deleted, ...) drops the chat's answers at once: their keys carry the chat's
 * generation, which the event bumps. Refusals are never kept. The cache needs the service's
 * NATS user to subscribe to the chat event subjects.
 */
export function chatAccessClient(bus: Bus, opts: { cacheTtlMs?: number } = {}): ChatAccessClient {
  const ask = async (chatId: string, userId: string, action: ChatAction): Promise<ChatAccess> => {
    const reply = await bus.request(chatAccessCheck, { chatId, userId, action }, { userId });
    if (reply.allowed) return reply.chat;
    // The same words from every service for the two refusals any chat can give.
    if (reply.reason === 'NOT_FOUND') throw notFound('Chat not found');
    if (reply.reason === 'NOT_PARTICIPANT') throw forbidden('You are not a participant of this chat');
    throw forbidden(reply.message || 'Not allowed in this chat right now');
  };
  const check = opts.cacheTtlMs ? cachedAsk(bus, ask, opts.cacheTtlMs) : { ask, stop: () => undefined };
  return {
    check: (chatId, userId, action, how) => (how?.fresh ? ask : check.ask)(chatId, userId, action),
    allows: (chatId, userId, action) =>
      check.ask(chatId, userId, action).then(
        () => true,
        (err: unknown) => {
          if (err instanceof AppError && (err.status === 403 || err.status === 404)) return false;
          throw err;
        },
      ),
    stop: check.stop,
  };
}

function cachedAsk(
  bus: Bus,
  ask: (chatId: string, userId: string, action: ChatAction) => Promise<ChatAccess>,
  ttlMs: number,
) {
  const allowed = ttlCache<ChatAccess>({ ttlMs, maxEntries: 50_000 });
  const generations = new Map<string, number>();
  // Unread notices follow every message and change no one's access: not subscribed to.
  const subscriptions = chatSubjects.stateChanges.map((subject) =>
    bus.nc.subscribe(subject, {
      callback: (_err, msg) => {
        const chatId = msg.subject.split('.')[1];
        if (!chatId) return;
        generations.set(chatId, (generations.get(chatId) ?? 0) + 1);
        if (generations.size > 100_000) generations.clear();
      },
    }),
  );
  return {
    ask: async (chatId: string, userId: string, action: ChatAction) => {
      const key = `${chatId}:${generations.get(chatId) ?? 0}:${userId}:${action}`;
      return (await allowed.get(key, () => ask(chatId, userId, action))) as ChatAccess;
    },
    stop: () => subscriptions.forEach((s) => s.unsubscribe()),
  };
}
