import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  authenticate,
  chatAccessClient,
  closeServer,
  createHttpApp,
  httpSettings,
  createMetrics,
  listen,
  observeStoreCommands,
  openLinks,
  rateLimiter,
  type Logger,
} from '@chat/platform';
import type { MediaConfig } from './config.js';
import { mediaFileModel } from './data/media-file-documents.js';
import { MediaFileRepository } from './data/media-file-repository.js';
import { uploadHoldModel } from './data/upload-hold-documents.js';
import { UploadHoldRepository } from './data/upload-hold-repository.js';
import { serveMediaFileCheck } from './entry/bus/media-file-check.js';
import { startUnattachedSweeper } from './entry/jobs/unattached-sweeper.js';
import { serveMediaFileDelete } from './entry/bus/media-file-delete.js';
import { createStorage } from './data/storage/create-storage.js';
import { mediaRouter } from './entry/http/media-router.js';
import { sweepStaleUploads } from './entry/http/upload/sweep-staging.js';
import type { MediaDeps } from './use-cases/deps.js';

const STALE_UPLOAD_MS = 6 * 60 * 60 * 1000;
/** How long an upload's quota hold counts if its replica dies before releasing it (past any store's timeout). */
const UPLOAD_HOLD_MS = 15 * 60 * 1000;

export interface RunningMediaService {
  port: number;
  close(): Promise<void>;
}

/** Uploads, tokens, metadata and deletion of chat media, on ImageKit or a local volume. */
export async function startMediaService(config: MediaConfig, logger: Logger): Promise<RunningMediaService> {
  const links = await openLinks(config, 'media-service', logger, { nats: true, mongo: true });
  const model = mediaFileModel(links.mongo);
  await model.syncIndexes();
  const holdModel = uploadHoldModel(links.mongo);
  await holdModel.syncIndexes();
  const { storage, local } = await createStorage(config, logger);
  const deps: MediaDeps = {
    files: new MediaFileRepository(model),
    holds: new UploadHoldRepository(holdModel),
    storage,
    chatAccess: chatAccessClient(links.bus),
    logger,
    quotaBytes: config.MEDIA_USER_QUOTA_BYTES,
    holdMs: Math.max(UPLOAD_HOLD_MS, 2 * config.IMAGEKIT_TIMEOUT_MS),
    unattachedTtlMs: config.MEDIA_UNATTACHED_TTL_MS,
    limitUploadTokens: rateLimiter({ points: config.MEDIA_UPLOAD_TOKENS_PER_MINUTE, windowS: 60 }, 'upload-token'),
  };
  const tmpDir = resolve(config.MEDIA_TMP_DIR ?? `${config.MEDIA_STORAGE_DIR}/tmp`);
  await mkdir(tmpDir, { recursive: true });
  await sweepStaleUploads(tmpDir, STALE_UPLOAD_MS, logger);

  const fileCheck = serveMediaFileCheck(links.bus, deps);
  const fileDelete = serveMediaFileDelete(links.bus, deps);

  const metrics = createMetrics('media-service');
  observeStoreCommands(links.mongo, metrics);
  const uploadsCounter = metrics.counter(
    'media_uploads_total',
    'Uploaded files by outcome (stored / refused) and status',
    ['outcome', 'status'],
  );
  const sweptCounter = metrics.counter(
    'media_unattached_removed_total',
    'Uploads removed because no message carried them within MEDIA_UNATTACHED_TTL_MS',
  );
  const sweeper = startUnattachedSweeper(deps, {
    intervalMs: config.MEDIA_SWEEP_INTERVAL_MS,
    onRemoved: (count) => sweptCounter.inc(count),
  });
  const app = createHttpApp({
    ...httpSettings(config),
    logger,
    metrics,
    readiness: links.readiness,
    routes: (app) =>
      app.use(
        mediaRouter(deps, {
          auth: authenticate(config),
          local,
          tmpDir,
          limits: {
            image: config.MEDIA_MAX_IMAGE_BYTES,
            video: config.MEDIA_MAX_VIDEO_BYTES,
            file: config.MEDIA_MAX_FILE_BYTES,
          },
          allowExecutables: config.MEDIA_ALLOW_EXECUTABLES,
          maxBulkFiles: config.MEDIA_MAX_BULK_FILES,
          maxConcurrentUploads: config.MEDIA_MAX_CONCURRENT_UPLOADS,
          stagingQuotaBytes: config.MEDIA_STAGING_QUOTA_BYTES,
          countUpload: (outcome, status) => uploadsCounter.inc({ outcome, status: String(status) }),
        }),
      ),
  });
  const { server, port } = await listen(app, config.PORT);
  return {
    port,
    close: async () => {
      await closeServer(server);
      fileCheck.unsubscribe();
      await sweeper.stop();
      fileDelete.unsubscribe();
      await links.close();
    },
  };
}
