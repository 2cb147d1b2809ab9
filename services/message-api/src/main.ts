import { launchService } from '@chat/platform';
import { messageApiConfigSchema } from './config.js';
import { startMessageApi } from './app.js';

await launchService('message-api', messageApiConfigSchema, startMessageApi);
