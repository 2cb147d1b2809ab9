import { z } from 'zod';
import { baseConfigSchema, portVar } from '@chat/platform';

/** chat-api needs Mongo (the `chats` collection) and NATS; it uses no Redis. */
export const chatApiConfigSchema = baseConfigSchema.extend({
  PORT: portVar(3001),
  /** Durable JetStream consumer that projects message events onto chats. */
  PROJECTION_DURABLE: z.string().min(1).default('chat-api-projection'),
});
export type ChatApiConfig = z.infer<typeof chatApiConfigSchema>;
