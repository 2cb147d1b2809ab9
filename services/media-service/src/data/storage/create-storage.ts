import type { Logger } from '@chat/platform';
import { imageKitSettings, type MediaConfig } from '../../config.js';
import { createImageKitStorage } from './imagekit-storage.js';
import { createLocalStorage, type LocalStorage } from './local-storage.js';
import type { MediaStorage } from './storage.js';

/** ImageKit when the three `Image_Kit_*` variables are set, else local storage; the choice is logged. */
export async function createStorage(
  config: MediaConfig,
  logger: Logger,
): Promise<{ storage: MediaStorage; local?: LocalStorage }> {
  const imageKit = imageKitSettings(config);
  if (imageKit) {
    logger.info({ storage: 'imagekit', urlEndpoint: imageKit.urlEndpoint }, 'media storage: ImageKit');
    return { storage: createImageKitStorage(imageKit, logger) };
  }
  const local = await createLocalStorage({ dir: config.MEDIA_STORAGE_DIR, publicUrl: config.MEDIA_PUBLIC_URL });
  logger.info(
    { storage: 'local', dir: config.MEDIA_STORAGE_DIR, publicUrl: config.MEDIA_PUBLIC_URL ?? '(relative)' },
    'media storage: local volume (ImageKit not configured)',
  );
  return { storage: local, local };
}
