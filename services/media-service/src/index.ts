export { startMediaService, type RunningMediaService } from './app.js';
export { mediaConfigSchema, type MediaConfig } from './config.js';
