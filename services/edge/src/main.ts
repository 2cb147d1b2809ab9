import { launchService } from '@chat/platform';
import { edgeConfigSchema } from './config.js';
import { startEdge } from './app.js';

await launchService('edge', edgeConfigSchema, startEdge);
