export { ChatClient, userIdOfToken, type ChatClientOptions, type ClientEvents } from './client.js';
export { ChatHandle, type ChatEvents, type PendingMessage } from './chat.js';
export { ChatError } from './errors.js';
export { RestClient, type FileInput, type PageQuery } from './rest.js';
export { MessageStore, type Delta, type StoreChange } from './message-store.js';
export type * from './types.js';
