import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import type { StorageEngine } from 'multer';
import { fileTypeFromBuffer } from 'file-type';
import { AppError, badRequest, callerOf } from '@chat/platform';
import {
  classifyFile,
  cleanFileName,
  SNIFF_BYTES,
  sizeLimitFor,
  largestLimit,
  type FileKind,
  type SizeLimits,
} from '../../../domain/file-kind.js';
import { safeDownloadName } from '../../../domain/download-name.js';
import { mp4DurationSeconds } from '../../../domain/mp4-duration.js';
import type { StagingResult } from '../../../domain/staged-file.js';
import type { StagingLease, StagingQuota } from './staging-quota.js';

/** What the engine leaves on each multer file: the staged file, or why this one file was refused. */

export interface StagingOptions {
  tmpDir: string;
  limits: SizeLimits;
  allowExecutables: boolean;
  /** Bytes one request may carry in all its files before it is refused whole (413). */
  requestBudget: number;
  /** Bytes one user may have staged at once across their uploads; counted as they are written. */
  quota: StagingQuota;
  /**
   * Refuse the whole request at the first refused file (single upload: no need to read the
   * rest), instead of draining that file and reporting it alone (bulk upload).
   */
  failFast: boolean;
  /** Runs before a file's bytes are read (the early access check when `chatId` came first). */
  beforeFile?: (req: Request) => Promise<void>;
}

const MP4_FAMILY = new Set(['mp4', 'mov', 'm4v', '3gp', '3g2']);

export const tooLarge = (limit: number, what = 'File') =>
  new AppError('PAYLOAD_TOO_LARGE', `${what} too large: the limit is ${limit} bytes`, { limitBytes: limit });

const budgets = new WeakMap<Request, { bytes: number; lease: StagingLease }>();

/**
 * A multer StorageEngine that streams each file into a temporary file while it sniffs the
 * first bytes (`file-type`): the type decides the size limit, and the file is cut off as soon
 * as it passes that limit. Nothing is held in memory beyond one chunk and the sniffed head.
 * A refused file (executable, too large, empty) is drained and reported on its own, so one
 * bad file in a bulk upload fails alone; only a request past its whole budget aborts.
 */
export function createStagingEngine(opts: StagingOptions): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      let settled = false;
      const settle = (err: unknown, result?: StagingResult) => {
        if (settled) return;
        settled = true;
        if (err) callback(err);
        else callback(null, { staging: result } as never);
      };
      stage(req as Request, file.stream, file.originalname, opts, (err) => settle(err)).then(
        (result) => settle(null, result),
        (err: unknown) => settle(err),
      );
    },
    _removeFile(_req, file, callback) {
      const staged = (file as unknown as { staging?: StagingResult }).staging?.staged;
      if (!staged) return callback(null);
      unlink(staged.path).then(
        () => callback(null),
        () => callback(null),
      );
    },
  };
}

/** The staging result multer attached to a file. */
export const stagingOf = (file: Express.Multer.File): StagingResult =>
  (file as unknown as { staging: StagingResult }).staging;

/**
 * `failNow` reports an error to multer at once, before the loop below lets go of the file
 * stream: leaving a `for await` destroys the stream, and multer must not see that abort first.
 */
async function stage(
  req: Request,
  stream: NodeJS.ReadableStream,
  originalName: string,
  opts: StagingOptions,
  failNow: (err: unknown) => void,
): Promise<StagingResult> {
  if (opts.beforeFile) await opts.beforeFile(req);
  let budget = budgets.get(req);
  if (!budget) {
    const res = req.res as Response;
    budgets.set(req, (budget = { bytes: 0, lease: opts.quota.lease(callerOf(res), res) }));
  }
  const lease = budget.lease;

  const path = join(opts.tmpDir, `${randomUUID()}.part`);
  let out: WriteStream | undefined = createWriteStream(path, { flags: 'wx' });
  const head: Buffer[] = [];
  let headBytes = 0;
  let kind: FileKind | undefined;
  let limit = largestLimit(opts.limits);
  let size = 0;
  /** Bytes of this file on disk, held against the user's quota until the file is deleted. */
  let staged = 0;
  let rejection: AppError | undefined;

  const discard = async () => {
    const stream = out;
    out = undefined;
    if (stream) {
      stream.destroy();
      await once(stream, 'close').catch(() => undefined);
    }
    await unlink(path).catch(() => undefined);
    lease.give(staged);
    staged = 0;
  };
  const decide = async () => {
    const sample = Buffer.concat(head);
    kind = classifyFile(sample, await fileTypeFromBuffer(sample), { allowExecutables: opts.allowExecutables });
    head.length = 0;
    if (!kind.accepted) {
      rejection = new AppError('UNSUPPORTED_MEDIA_TYPE', 'Executable files are not allowed', { detected: kind.mime });
      await discard();
    } else {
      limit = sizeLimitFor(kind.messageType, opts.limits);
    }
  };

  try {
    for await (const data of stream) {
      try {
        const chunk = data as Buffer;
        size += chunk.length;
        budget.bytes += chunk.length;
        if (budget.bytes > opts.requestBudget) throw tooLarge(opts.requestBudget, 'Upload');
        if (rejection) continue; // drain the rest of a refused file
        if (!kind) {
          head.push(chunk);
          headBytes += chunk.length;
          if (headBytes >= SNIFF_BYTES) await decide();
        }
        if (!rejection && size > limit) {
          rejection = tooLarge(limit);
          await discard();
        }
        if (rejection && opts.failFast) throw rejection;
        if (rejection) continue;
        lease.take(chunk.length);
        staged += chunk.length;
        if (out && !out.write(chunk)) await once(out, 'drain');
      } catch (err) {
        failNow(err);
        throw err;
      }
    }
    if (!kind && !rejection) await decide();
    if (!rejection && size === 0) {
      rejection = badRequest('The file is empty');
      await discard();
    }
    if (rejection || !kind?.accepted || !out)
      return { originalName, rejection: rejection ?? badRequest('The file was refused') };
    out.end();
    await once(out, 'finish');
    const duration =
      kind.messageType === 'video' && MP4_FAMILY.has(kind.ext) ? await readMp4Duration(path, size) : undefined;
    return {
      originalName,
      staged: {
        path,
        size,
        // The name people see and download: never an executable extension its bytes do not justify.
        fileName: safeDownloadName(cleanFileName(originalName, kind.ext), kind.mime, {
          allowExecutables: opts.allowExecutables,
        }),
        mimeType: kind.mime,
        ext: kind.ext,
        messageType: kind.messageType,
        ...(duration === undefined ? {} : { duration }),
      },
    };
  } catch (err) {
    await discard();
    throw err;
  }
}

async function readMp4Duration(path: string, size: number): Promise<number | undefined> {
  const fd = await open(path, 'r');
  try {
    return await mp4DurationSeconds(async (offset, length) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fd.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    }, size);
  } catch {
    return undefined; // a damaged header only costs the duration
  } finally {
    await fd.close();
  }
}
