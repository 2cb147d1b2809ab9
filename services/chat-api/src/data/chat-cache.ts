import { ttlCache, type TtlCache } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';

/**
 * A short-lived cache of chats for `chat.access.check`, the hottest query (every join and
 * upload asks it). Writes in this process invalidate at once; writes by other replicas
 * invalidate when their chat event arrives; `ttlMs` bounds staleness if an event is late.
 * Unknown chats are never cached, so a chat created elsewhere is found at once.
 */
export class ChatCache implements TtlCache<ChatRecord> {
  private readonly cache: TtlCache<ChatRecord>;

  constructor(opts: { ttlMs: number; maxEntries?: number }) {
    this.cache = ttlCache<ChatRecord>(opts);
  }

  get(chatId: string, load: () => Promise<ChatRecord | null>): Promise<ChatRecord | null> {
    return this.cache.get(chatId, load);
  }

  invalidate(chatId: string): void {
    this.cache.invalidate(chatId);
  }
}
