import { ttlCache, type TtlCache } from '@chat/platform';
import type { ChatRecord } from '../domain/chat.js';

/**
 * A short-lived cache of chats for `chat.access.check`, the hottest query (every join and
 * upload asks it). Writes in this process invalidate at once; writes by other replicas
 * invalidate when their chat event arrives; `ttlMs` bounds staleness if an event is late.
 * Unknown chats are never cached, so a chat created elsewhere is found at once.
 */
export type ChatCache = TtlCache<ChatRecord>;

export const chatCache = (opts: { ttlMs: number; maxEntries?: number }): ChatCache => ttlCache<ChatRecord>(opts);
