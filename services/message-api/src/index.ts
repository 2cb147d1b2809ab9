export { startMessageApi, type RunningMessageApi, type MessageApiOverrides } from './app.js';
export { messageApiConfigSchema, type MessageApiConfig } from './config.js';
export type { EventPublisher } from './clients/event-publisher.js';
export { BLOCK_SIZE, blockFields } from './domain/message-blocks.js';
