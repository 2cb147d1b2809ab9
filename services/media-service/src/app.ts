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
  openLinks,
  rateLimiter,
  type Logger,
} from '@chat/platform';
import type { MediaConfig } from './config.js';
import { mediaFileModel } from './data/media-file-documents.js';
import { mediaFileRepository } from './data/media-file-repository.js';
import { uploadHoldModel, uploadHoldRepository } from './data/upload-holds.js';
import { serveMediaFileCheck } from './entry/bus/media-file-check.js';
import { startUnattachedSweeper } from './entry/jobs/unattached-sweeper.js';
import { serveMediaFileDelete } from './entry/bus/media-file-delete.js';
import { createStorage } from './data/storage/create-storage.js';
import { mediaRouter } from './entry/http/media-router.js';
import { sweepStaleUploads } from './entry/http/upload/sweep-staging.js';
import { storageQuota } from './use-cases/storage-quota.js';

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
  const files = mediaFileRepository(model);
  const holdModel = uploadHoldModel(links.mongo);
  await holdModel.syncIndexes();
  const quota = storageQuota({
    files,
    holds: uploadHoldRepository(holdModel),
    logger,
    quotaBytes: config.MEDIA_USER_QUOTA_BYTES,
    holdMs: Math.max(UPLOAD_HOLD_MS, 2 * config.IMAGEKIT_TIMEOUT_MS),
  });
  const { storage, local } = await createStorage(config, logger);
  const tmpDir = resolve(config.MEDIA_TMP_DIR ?? `${config.MEDIA_STORAGE_DIR}/tmp`);
  await mkdir(tmpDir, { recursive: true });
  await sweepStaleUploads(tmpDir, STALE_UPLOAD_MS, logger);

  const chatAccess = chatAccessClient(links.bus);
  const fileCheck = serveMediaFileCheck(links.bus, { files, unattachedTtlMs: config.MEDIA_UNATTACHED_TTL_MS });
  const fileDelete = serveMediaFileDelete(links.bus, { storage, files, chatAccess });

  const metrics = createMetrics('media-service');
  const uploadsCounter = metrics.counter(
    'media_uploads_total',
    'Uploaded files by outcome (stored / refused) and status',
    ['outcome', 'status'],
  );
  const sweptCounter = metrics.counter(
    'media_unattached_removed_total',
    'Uploads removed because no message carried them within MEDIA_UNATTACHED_TTL_MS',
  );
  const sweeper = startUnattachedSweeper(
    {
      files,
      storage,
      logger,
      unattachedTtlMs: config.MEDIA_UNATTACHED_TTL_MS,
      onRemoved: (count) => sweptCounter.inc(count),
    },
    config.MEDIA_SWEEP_INTERVAL_MS,
  );
  const app = createHttpApp({
    ...httpSettings(config),
    logger,
    metrics,
    readiness: links.readiness,
    routes: (app) =>
      app.use(
        mediaRouter({
          auth: authenticate(config),
          storage,
          local,
          files,
          quota,
          chatAccess,
          logger,
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
          limitUploadTokens: rateLimiter(
            { points: config.MEDIA_UPLOAD_TOKENS_PER_MINUTE, windowS: 60 },
            'upload-token',
          ),
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
