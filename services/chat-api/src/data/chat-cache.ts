import type { ChatRecord } from './chat-record.js';

/**
 * A short-lived cache of chats for `chat.access.check`, the hottest query (every send, join and
 * upload asks it). Writes in this process invalidate at once; writes by other replicas
 * invalidate when their chat event arrives; `ttlMs` bounds staleness if an event is late.
 * Unknown chats are never cached, so a chat created elsewhere is found at once.
 */
export interface ChatCache {
  /** Reads through the cache; `load` runs on a miss. */
  get(chatId: string, load: () => Promise<ChatRecord | null>): Promise<ChatRecord | null>;
  invalidate(chatId: string): void;
}

export function chatCache(opts: { ttlMs: number; maxEntries?: number }): ChatCache {
  const maxEntries = opts.maxEntries ?? 10_000;
  const entries = new Map<string, { chat: ChatRecord; expiresAt: number }>();
  // Bumped by every invalidation: a read that started before it must not store its stale result.
  const generations = new Map<string, number>();

  return {
    async get(chatId, load) {
      if (opts.ttlMs <= 0) return load();
      const hit = entries.get(chatId);
      if (hit && hit.expiresAt > Date.now()) return hit.chat;
      const generation = generations.get(chatId) ?? 0;
      const chat = await load();
      if (chat && (generations.get(chatId) ?? 0) === generation) {
        entries.delete(chatId);
        entries.set(chatId, { chat, expiresAt: Date.now() + opts.ttlMs });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      }
      return chat;
    },
    invalidate(chatId) {
      entries.delete(chatId);
      generations.set(chatId, (generations.get(chatId) ?? 0) + 1);
      if (generations.size > maxEntries * 2) generations.clear();
    },
  };
}
