import { mediaFileCheck, QUEUE_GROUPS } from '@chat/contracts';
import { unauthorized, type Bus } from '@chat/platform';
import { checkMediaFile } from '../../use-cases/check-media-file.js';
import type { MediaDeps } from '../../use-cases/deps.js';

/** `media.file.check`, asked by message-api before `send_media` (see checkMediaFile). */
export function serveMediaFileCheck(bus: Bus, deps: MediaDeps) {
  return bus.handle(mediaFileCheck, QUEUE_GROUPS.mediaService, async (request, ctx) => {
    if (!ctx.userId) throw unauthorized('media.file.check needs the caller in the x-user-id header');
    return checkMediaFile(deps, request);
  });
}
