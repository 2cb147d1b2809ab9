import type { UploadedFile } from '@chat/contracts';
import { toAppError, type AppError } from '@chat/platform';
import type { StagingResult } from '../domain/staged-file.js';
import { uploadedFileOf } from '../domain/views.js';
import type { MediaDeps } from './deps.js';
import { reserveStorage } from './reserve-storage.js';

export type UploadOutcome = { ok: true; file: UploadedFile } | { ok: false; fileName: string; error: AppError };

/**
 * Keeps the staged files of one request in the storage and records each (who uploaded it
 * into which chat). The caller has checked that the uploader is in the chat. Each file
 * succeeds or fails on its own (one past the uploader's storage quota too); the temporary
 * files are left for the caller to remove.
 */
export async function storeUploads(
  deps: MediaDeps,
  command: { userId: string; chatId: string; uploads: StagingResult[] },
): Promise<UploadOutcome[]> {
  const outcomes: UploadOutcome[] = [];
  for (const upload of command.uploads) {
    if (!upload.staged) {
      outcomes.push({ ok: false, fileName: upload.originalName, error: upload.rejection as AppError });
      continue;
    }
    const staged = upload.staged;
    let release: (() => Promise<void>) | undefined;
    try {
      release = await reserveStorage(deps, { userId: command.userId, bytes: staged.size });
      const stored = await deps.storage.store(staged, { chatId: command.chatId });
      const record = {
        fileId: stored.fileId,
        chatId: command.chatId,
        uploaderId: command.userId,
        url: stored.url,
        fileName: staged.fileName,
        fileSize: staged.size,
        mimeType: staged.mimeType,
        messageType: staged.messageType,
        duration: staged.duration ?? null,
        storage: deps.storage.kind,
        storageKey: stored.storageKey,
        createdAt: new Date(),
        attached: false,
      };
      try {
        await deps.files.insert(record);
      } catch (err) {
        // Without its record nobody could use or delete the object: take it back out.
        await deps.storage
          .remove(record)
          .catch((e: unknown) => deps.logger.warn({ err: e, fileId: record.fileId }, 'orphaned media object'));
        throw err;
      }
      outcomes.push({ ok: true, file: uploadedFileOf(record) });
    } catch (err) {
      outcomes.push({ ok: false, fileName: staged.fileName, error: toAppError(err, deps.logger) });
    } finally {
      // After the record is written (it counts now) or the file failed (nothing to count).
      await release?.();
    }
  }
  return outcomes;
}
