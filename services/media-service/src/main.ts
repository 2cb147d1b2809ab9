import { launchService } from '@chat/platform';
import { mediaConfigSchema } from './config.js';
import { startMediaService } from './app.js';

await launchService('media-service', mediaConfigSchema, startMediaService);
