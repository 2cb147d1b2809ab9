/**
 * A small read-through cache whose entries live `ttlMs`. `invalidate` drops a key at once, and
 * a load that was already running when the key was invalidated does not store its stale result.
 * Misses (null) are never cached, so something created elsewhere is found at once.
 * @example const chats = ttlCache<Chat>({ ttlMs: 2000 }); await chats.get(id, () => loadChat(id));
 */
export interface TtlCache<V> {
  get(key: string, load: () => Promise<V | null>): Promise<V | null>;
  invalidate(key: string): void;
}

export function ttlCache<V>(opts: { ttlMs: number; maxEntries?: number }): TtlCache<V> {
  const maxEntries = opts.maxEntries ?? 10_000;
  const entries = new Map<string, { value: V; expiresAt: number }>();
  // Bumped by every invalidation: a load that started before it must not store its result.
  const generations = new Map<string, number>();

  return {
    async get(key, load) {
      if (opts.ttlMs <= 0) return load();
      const hit = entries.get(key);
      if (hit && hit.expiresAt > Date.now()) return hit.value;
      const generation = generations.get(key) ?? 0;
      const value = await load();
      if (value !== null && (generations.get(key) ?? 0) === generation) {
        entries.delete(key);
        entries.set(key, { value, expiresAt: Date.now() + opts.ttlMs });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      }
      return value;
    },
    invalidate(key) {
      entries.delete(key);
      generations.set(key, (generations.get(key) ?? 0) + 1);
      if (generations.size > maxEntries * 2) generations.clear();
    },
  };
}
