import { z } from 'zod';
import { baseConfigSchema, msVar, portVar } from '@chat/platform';

/** chat-api needs Mongo (the `chats` collection), NATS, and Redis (REDIS_URL: the per-chat write lock). */
export const chatApiConfigSchema = baseConfigSchema.extend({
  PORT: portVar(3001),
  /**
   * How long a chat's first message event waits for more to join its write: a busy chat costs
   * one write (and one unread notice per user) per this interval, not one per message; unread
   * badges lag by as much.
   */
  PROJECTION_LINGER_MS: z.coerce.number().int().min(0).max(5_000).default(100),
  /** How often the outbox relay looks for chat events left unpublished, and how old they must be. */
  OUTBOX_RELAY_INTERVAL_MS: msVar(5_000),
  OUTBOX_RELAY_AFTER_MS: msVar(5_000),
  /** How long chat.access.check may answer from memory (writes and chat events invalidate sooner); 0 disables. */
  ACCESS_CACHE_TTL_MS: z.coerce.number().int().min(0).default(2_000),
});
export type ChatApiConfig = z.infer<typeof chatApiConfigSchema>;
