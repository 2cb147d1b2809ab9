export { startRealtimeGateway, type RunningGateway } from './app.js';
export { gatewayConfigSchema, type GatewayConfig } from './config.js';
