import { launchService } from '@chat/platform';
import { chatApiConfigSchema } from './config.js';
import { startChatApi } from './app.js';

await launchService('chat-api', chatApiConfigSchema, startChatApi);
