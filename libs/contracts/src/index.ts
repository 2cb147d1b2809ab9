export * from './common.js';
export * from './errors.js';
export * from './chat.js';
export * from './message.js';
export * from './media.js';
export * from './subjects.js';
export * from './socket.js';
export * from './nats-permissions.js';
