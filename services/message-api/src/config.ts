import { z } from 'zod';
import { baseConfigSchema, msVar, portVar } from '@chat/platform';
import { MESSAGE_CONTENT_MAX } from '@chat/contracts';

export const messageApiConfigSchema = baseConfigSchema.extend({
  PORT: portVar(3002),
  /** Longest message text, in Unicode code points (docs/api-guide.md, "Limits": 5,000 by default). */
  MESSAGE_CONTENT_MAX: z.coerce.number().int().min(1).max(100_000).default(MESSAGE_CONTENT_MAX),
  /** How often the outbox relay looks for events whose first publish failed. */
  OUTBOX_RELAY_INTERVAL_MS: msVar(2_000),
  /** An event still pending this long after its write is republished by the relay. */
  OUTBOX_RELAY_AFTER_MS: msVar(3_000),
  /** A chat's change lock (in Redis) left by a crashed replica is taken over after this. */
  CHAT_LOCK_TTL_MS: msVar(10_000),
  /** How long an "allowed" answer of chat-api is reused (chat events drop it sooner; 0: never). */
  ACCESS_CACHE_TTL_MS: z.coerce.number().int().min(0).default(2_000),
  /**
   * Group commit: most sends in one insert, most waiting (then 503), batches written at once.
   * One at a time by default: sends that arrive during a write wait for the next, larger batch,
   * which costs the store and the bus less per message than two smaller batches side by side.
   */
  SEND_BATCH_MAX: z.coerce.number().int().min(1).max(1_000).default(256),
  SEND_QUEUE_MAX: z.coerce.number().int().min(1).default(5_000),
  SEND_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /** How soon the erasure of a deleted message's text is tried again while a consumer has not acknowledged its events. */
  TEXT_ERASE_RETRY_MS: msVar(2_000),
  /** Most messages one `/search` request examines, newest first (5,000 by default). */
  SEARCH_WINDOW: z.coerce.number().int().min(1).max(100_000).default(5_000),
  /**
   * Fault tests only (honoured when NODE_ENV=test): the process kills itself right after storing
   * its n-th batch of sends, before publishing their events. 0: never.
   */
  TEST_CRASH_AFTER_STORE: z.coerce.number().int().min(0).default(0),
});
export type MessageApiConfig = z.infer<typeof messageApiConfigSchema>;
