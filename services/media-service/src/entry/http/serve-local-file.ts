import { basename, dirname } from 'node:path';
import type { NextFunction, Response } from 'express';
import { notFound } from '@chat/platform';
import { safeDownloadName } from '../../domain/download-name.js';
import { FILE_SECURITY_HEADERS, servingHeadersFor, STORED_NAME } from '../../domain/serving.js';
import type { LocalStorage } from '../../data/storage/local-storage.js';
import type { MediaDeps } from '../../use-cases/deps.js';
import { findLocalFile } from '../../use-cases/find-local-file.js';

/**
 * Streams a locally stored file (with range requests, for video). Only files that still have
 * a record are served, under a type and disposition decided by `servingHeadersFor`: an
 * uploaded HTML or SVG page is a download, never a page of our origin. The download name is the
 * record's, through the executable-extension rule again (records stored before it had none).
 */
export async function serveLocalFile(
  deps: MediaDeps,
  { local, allowExecutables }: { local: LocalStorage; allowExecutables: boolean },
  name: string,
  res: Response,
  next: NextFunction,
) {
  const match = STORED_NAME.exec(name);
  const path = local.pathOf(name);
  if (!match || !path) throw notFound('File not found');
  const record = await findLocalFile(deps, { storedName: name });

  const { contentType, disposition } = servingHeadersFor(match[2] as string);
  for (const [header, value] of Object.entries(FILE_SECURITY_HEADERS)) res.setHeader(header, value);
  // RFC 6266 / 5987 encoding of the name.
  res.attachment(safeDownloadName(record.fileName, record.mimeType, { allowExecutables }));
  if (disposition === 'inline')
    res.setHeader('Content-Disposition', String(res.get('Content-Disposition')).replace(/^attachment/, 'inline'));
  res.setHeader('Content-Type', contentType); // after attachment(), which guesses a type from the name

  // Relative to its folder: the dot-file rule then looks at the file's name only, so a storage
  // folder below a dot-folder (the default .local/media) serves too.
  const options = { root: dirname(path), dotfiles: 'deny' as const, lastModified: true };
  res.sendFile(basename(path), options, (err?: Error & { status?: number; code?: string }) => {
    if (!err || res.headersSent) return;
    next(err.status === 404 || err.code === 'ENOENT' ? notFound('File not found') : err);
  });
}
