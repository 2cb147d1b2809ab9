export * from './ports.js';
export * from './processes.js';
export * from './infra.js';
export * from './ferretdb.js';
export * from './tokens.js';
export * from './services.js';
export * from './http.js';
export * from './sockets.js';
