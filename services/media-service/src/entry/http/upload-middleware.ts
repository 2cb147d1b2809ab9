import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { uploadFields } from '@chat/contracts';
import { AppError, callerOf, parseInput } from '@chat/platform';
import type { ChatAccessClient } from '@chat/platform';
import { largestLimit, type SizeLimits } from '../../domain/file-kind.js';
import { createStagingEngine, stagingOf } from './upload/staging-engine.js';
import type { StagingResult } from '../../domain/staged-file.js';
import { uploadErrorOf } from './upload/multer-errors.js';
import type { StagingQuota } from './upload/staging-quota.js';
import type { UploadSlots } from './upload/upload-slots.js';

/** A refused upload's body up to this size is read to its end before the refusal is sent. */
const DRAIN_BEFORE_REFUSAL_BYTES = 1024 * 1024;

export interface UploadMiddlewareOptions {
  tmpDir: string;
  limits: SizeLimits;
  allowExecutables: boolean;
  maxBulkFiles: number;
  chatAccess: ChatAccessClient;
  /** Shared by both upload routes: a user's uploads in flight. */
  slots: UploadSlots;
  /** Shared by both upload routes: the bytes a user has staged. */
  quota: StagingQuota;
  /** Refuses a user whose stored files fill their storage quota already, before a byte is staged. */
  ensureRoom: (userId: string) => Promise<void>;
}

const accessChecks = new WeakMap<Request, Map<string, Promise<void>>>();

/**
 * The caller's participation in `chatId`, asked once per request: the staging engine asks
 * early when the `chatId` field came before the file (so a stranger's bytes are refused at
 * once), and the route asks again, from the same memo, once the whole form is parsed.
 */
export function ensureChatAccess(req: Request, chatAccess: ChatAccessClient, chatId: string): Promise<void> {
  let checks = accessChecks.get(req);
  if (!checks) accessChecks.set(req, (checks = new Map()));
  let check = checks.get(chatId);
  if (!check) {
    check = chatAccess.check(chatId, callerOf(req.res as Response), 'read').then(() => undefined);
    check.catch(() => undefined); // observed by whoever awaits it
    checks.set(chatId, check);
  }
  return check;
}

/** The staged uploads multer left on the request, in the order they came. */
export function uploadsOf(req: Request): StagingResult[] {
  const files = req.file ? [req.file] : Array.isArray(req.files) ? req.files : [];
  return files.map(stagingOf).filter(Boolean);
}

/**
 * multer with our streaming StorageEngine: `file` (one) for upload-chat-media, `files`
 * (up to MEDIA_MAX_BULK_FILES) for bulk-upload. Small text fields only.
 */
export function uploadMiddleware(kind: 'single' | 'bulk', opts: UploadMiddlewareOptions): RequestHandler {
  const largest = largestLimit(opts.limits);
  const maxFiles = kind === 'single' ? 1 : opts.maxBulkFiles;
  const fileField = kind === 'single' ? 'file' : 'files';
  const storage = createStagingEngine({
    tmpDir: opts.tmpDir,
    limits: opts.limits,
    allowExecutables: opts.allowExecutables,
    // A bulk request may carry bytes it will refuse (a file over its type's limit is read to
    // its end and reported alone), but never more than a full batch of the largest files.
    requestBudget: maxFiles * largest,
    failFast: kind === 'single',
    quota: opts.quota,
    // chatId came before the file: a malformed one, or a chat the caller is not in, is refused
    // before a byte is staged. One sent after the file is checked once the form is parsed;
    // until then the slots and the staging quota bound what the caller can stage.
    beforeFile: async (req) => {
      if (req.body?.chatId === undefined) return;
      const { chatId } = parseInput(uploadFields, { chatId: req.body.chatId }, 'form');
      await ensureChatAccess(req, opts.chatAccess, chatId);
    },
  });
  const limits: multer.Options['limits'] = {
    files: maxFiles,
    fields: 10,
    fieldSize: 1024,
    fieldNameSize: 100,
    parts: maxFiles + 10,
    // One file past the largest limit of any type cannot be valid: cut it off at once.
    ...(kind === 'single' ? { fileSize: largest } : {}),
  };
  const m = multer({ storage, limits });
  const handler = kind === 'single' ? m.single(fileField) : m.array(fileField, maxFiles);
  /**
   * Refuses before a byte of the body is staged. A small body is drained (not kept) before the
   * answer, so the refusal reaches the client instead of a connection cut mid-write; a large one
   * is answered at once (the client may see the connection close first).
   */
  const refuse = (req: Request, next: NextFunction, refusal: unknown) => {
    req.resume();
    if (Number(req.headers['content-length'] ?? Infinity) > DRAIN_BEFORE_REFUSAL_BYTES || req.readableEnded)
      return next(refusal);
    req.once('end', () => next(refusal));
  };
  return async (req: Request, res: Response, next: NextFunction) => {
    const userId = callerOf(res);
    if (!opts.slots.take(userId, res)) {
      const refusal = new AppError(
        'RATE_LIMITED',
        `At most ${opts.slots.max} uploads at once, wait for one to finish`,
        {
          retryAfterSeconds: 1,
        },
      );
      return refuse(req, next, refusal);
    }
    try {
      await opts.ensureRoom(userId);
    } catch (err) {
      return refuse(req, next, err);
    }
    handler(req, res, (err?: unknown) =>
      next(err ? uploadErrorOf(err, { fileField, maxFiles, maxFileBytes: largest }) : undefined),
    );
  };
}
