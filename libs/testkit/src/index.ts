export * from './ports.js';
export * from './infra.js';
export * from './tokens.js';
export * from './services.js';
export * from './http.js';
export * from './sockets.js';
