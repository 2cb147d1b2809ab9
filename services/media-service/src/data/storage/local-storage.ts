import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { STORED_NAME } from '../../domain/serving.js';
import type { MediaFileRecord } from '../../domain/media-file.js';
import type { MediaStorage, StoredObject } from './storage.js';
import type { StagedFile } from '../../domain/staged-file.js';

/** 24 random bytes: 192 bits, 32 base64url characters. */
const newStoredId = () => randomBytes(24).toString('base64url');

export interface LocalStorage extends MediaStorage {
  /** The absolute path of a stored file, or undefined when the name is not one of ours. */
  pathOf(name: string): string | undefined;
}

/** Files on a volume (`<dir>/files/<random>.<ext>`), served back under `/api/media/files/`. */
export async function createLocalStorage(opts: { dir: string; publicUrl?: string }): Promise<LocalStorage> {
  const filesDir = resolve(opts.dir, 'files');
  await mkdir(filesDir, { recursive: true });
  const base = (opts.publicUrl ?? '').replace(/\/+$/, '');

  const pathOf = (name: string) => (STORED_NAME.test(name) ? join(filesDir, name) : undefined);

  return {
    kind: 'local',
    pathOf,
    async store(file: StagedFile): Promise<StoredObject> {
      const id = newStoredId();
      const name = `${id}.${file.ext}`;
      const target = join(filesDir, name);
      try {
        await rename(file.path, target);
      } catch (err) {
        // The staging directory may be on another volume: copy instead of moving.
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        await pipeline(createReadStream(file.path), createWriteStream(target, { flags: 'wx' }));
      }
      return { fileId: id, storageKey: name, url: `${base}/api/media/files/${name}` };
    },
    async remove(record: MediaFileRecord): Promise<void> {
      const path = pathOf(record.storageKey);
      if (!path) return;
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async metadata(record: MediaFileRecord): Promise<Record<string, unknown>> {
      const path = pathOf(record.storageKey);
      const info = path ? await stat(path).catch(() => undefined) : undefined;
      return {
        size: info?.size ?? record.fileSize,
        format: record.storageKey.split('.').pop(),
        mime: record.mimeType,
        storedAt: (info?.mtime ?? record.createdAt).toISOString(),
      };
    },
    uploadToken: () => undefined,
  };
}
