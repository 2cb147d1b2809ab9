export { startChatApi, type RunningChatApi } from './app.js';
export { chatApiConfigSchema, type ChatApiConfig } from './config.js';
