import { z } from 'zod';
import { baseConfigSchema, msVar, portVar } from '@chat/platform';
import { MESSAGE_CONTENT_MAX } from '@chat/contracts';

export const messageApiConfigSchema = baseConfigSchema.extend({
  PORT: portVar(3002),
  /** Longest message text, in Unicode code points (API.md: 5,000 by default). */
  MESSAGE_CONTENT_MAX: z.coerce.number().int().min(1).max(100_000).default(MESSAGE_CONTENT_MAX),
  /** How often the outbox relay looks for events whose first publish failed. */
  OUTBOX_RELAY_INTERVAL_MS: msVar(2_000),
  /** An event still pending this long after its write is republished by the relay. */
  OUTBOX_RELAY_AFTER_MS: msVar(3_000),
  /** The longest a command waits for its event's publish before answering (the publish goes on). */
  OUTBOX_PUBLISH_WAIT_MS: msVar(1_000),
  /** A chat write lock older than this is treated as abandoned by a crashed replica. */
  CHAT_LOCK_TTL_MS: msVar(10_000),
});
export type MessageApiConfig = z.infer<typeof messageApiConfigSchema>;
