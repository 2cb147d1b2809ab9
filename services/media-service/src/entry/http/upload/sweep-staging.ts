import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@chat/platform';

/**
 * Removes staged uploads left behind by a process that died mid-upload. Only old `.part`
 * files go, so replicas that share the volume never lose an upload in progress.
 */
export async function sweepStaleUploads(tmpDir: string, maxAgeMs: number, logger: Logger): Promise<number> {
  const cutoff = Date.now() - maxAgeMs;
  let removed = 0;
  for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
    if (!name.endsWith('.part')) continue;
    const path = join(tmpDir, name);
    const info = await stat(path).catch(() => undefined);
    if (
      info &&
      info.mtimeMs < cutoff &&
      (await unlink(path).then(
        () => true,
        () => false,
      ))
    )
      removed++;
  }
  if (removed > 0) logger.info({ removed, tmpDir }, 'removed stale staged uploads');
  return removed;
}
