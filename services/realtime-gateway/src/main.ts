import { launchService } from '@chat/platform';
import { gatewayConfigSchema } from './config.js';
import { startRealtimeGateway } from './app.js';

await launchService('realtime-gateway', gatewayConfigSchema, async (config, logger) => {
  const gateway = await startRealtimeGateway(config, logger);
  return { ...gateway, instance: gateway.nodeId };
});
