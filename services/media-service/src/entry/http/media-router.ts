import { unlink } from 'node:fs/promises';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { deleteMediaBody, fileIdParams, uploadFields } from '@chat/contracts';
import { badRequest, callerOf, notFound, parseInput } from '@chat/platform';
import type { SizeLimits } from '../../domain/file-kind.js';
import type { LocalStorage } from '../../data/storage/local-storage.js';
import { stagingQuota } from './upload/staging-quota.js';
import { uploadSlots } from './upload/upload-slots.js';
import { deleteFile } from '../../use-cases/delete-file.js';
import type { MediaDeps } from '../../use-cases/deps.js';
import { ensureStorageRoom } from '../../use-cases/ensure-storage-room.js';
import { getFileMetadata } from '../../use-cases/get-file-metadata.js';
import { getUploadToken } from '../../use-cases/get-upload-token.js';
import { storeUploads } from '../../use-cases/store-uploads.js';
import { serveLocalFile } from './serve-local-file.js';
import { ensureChatAccess, uploadMiddleware, uploadsOf } from './upload-middleware.js';

/** What the routes need beyond the use cases' deps. */
export interface MediaRouterOptions {
  auth: RequestHandler;
  local?: LocalStorage;
  tmpDir: string;
  limits: SizeLimits;
  /** Executables are stored (and keep their extensions) only when true. */
  allowExecutables: boolean;
  maxBulkFiles: number;
  /** Uploads one user may have in flight at once (per replica). */
  maxConcurrentUploads: number;
  /** Bytes one user may have staged at once across those uploads (per replica). */
  stagingQuotaBytes: number;
  /** Counts each file's outcome for /metrics. */
  countUpload?: (outcome: 'stored' | 'refused', status: number) => void;
}

/** Endpoints 14-18 of the specification, plus the local files under /api/media/files/. */
export function mediaRouter(deps: MediaDeps, opts: MediaRouterOptions): Router {
  const router = Router();
  const auth = opts.auth;
  const uploads = {
    ...opts,
    chatAccess: deps.chatAccess,
    slots: uploadSlots(opts.maxConcurrentUploads),
    quota: stagingQuota(opts.stagingQuotaBytes),
    ensureRoom: (userId: string) => ensureStorageRoom(deps, { userId }),
  };

  /** Validates the form, checks the caller is in the chat, stores; always removes the staged files. */
  const handleUploads = async (req: Request, res: Response, kind: 'single' | 'bulk') => {
    const uploads = uploadsOf(req);
    try {
      const { chatId } = parseInput(uploadFields, { chatId: req.body?.chatId }, 'form');
      if (uploads.length === 0) {
        throw badRequest(
          kind === 'single'
            ? "A multipart/form-data 'file' part is required"
            : "At least one multipart/form-data 'files' part is required",
        );
      }
      await ensureChatAccess(req, deps.chatAccess, chatId);
      const outcomes = await storeUploads(deps, { userId: callerOf(res), chatId, uploads });
      for (const o of outcomes) opts.countUpload?.(o.ok ? 'stored' : 'refused', o.ok ? 200 : o.error.status);
      return outcomes;
    } finally {
      await Promise.all(uploads.map((u) => (u.staged ? unlink(u.staged.path).catch(() => undefined) : undefined)));
    }
  };

  router.post('/api/media/upload-chat-media', auth, uploadMiddleware('single', uploads), async (req, res) => {
    const [outcome] = await handleUploads(req, res, 'single');
    if (!outcome) throw badRequest("A multipart/form-data 'file' part is required");
    if (!outcome.ok) throw outcome.error;
    res.status(200).json({ status: 200, message: 'File uploaded successfully', success: true, data: outcome.file });
  });

  router.post('/api/media/bulk-upload', auth, uploadMiddleware('bulk', uploads), async (req, res) => {
    const outcomes = await handleUploads(req, res, 'bulk');
    const uploaded = outcomes.flatMap((o) => (o.ok ? [o.file] : []));
    const failed = outcomes.flatMap((o, index) =>
      o.ok ? [] : [{ index, fileName: o.fileName, status: o.error.status, message: o.error.message }],
    );
    res.status(200).json({
      status: 200,
      message: `${uploaded.length} file(s) uploaded, ${failed.length} failed`,
      success: true,
      data: uploaded,
      failed,
      summary: { totalAttempted: outcomes.length, successful: uploaded.length, failed: failed.length },
    });
  });

  router.get('/api/media/get-upload-token', auth, async (_req, res) => {
    const token = await getUploadToken(deps, { userId: callerOf(res) });
    res.status(200).json({ status: 200, message: 'Upload token generated', success: true, data: token });
  });

  // Local files: no token (like a CDN URL); the name itself is the unguessable secret.
  router.get('/api/media/files/:name', async (req, res, next) => {
    const local = opts.local;
    if (!local) throw notFound('File not found');
    await serveLocalFile(deps, { local, allowExecutables: opts.allowExecutables }, String(req.params.name), res, next);
  });

  router.get('/api/media/:fileId/metadata', auth, async (req, res) => {
    const { fileId } = parseInput(fileIdParams, req.params, 'path');
    const data = await getFileMetadata(deps, { userId: callerOf(res), fileId });
    res.status(200).json({ status: 200, message: 'Metadata retrieved', success: true, data });
  });

  router.post('/api/media/delete', auth, async (req, res) => {
    const { fileId } = parseInput(deleteMediaBody, req.body, 'body');
    await deleteFile(deps, { userId: callerOf(res), fileId });
    res.status(200).json({ status: 200, message: 'File deleted successfully', success: true });
  });

  return router;
}
