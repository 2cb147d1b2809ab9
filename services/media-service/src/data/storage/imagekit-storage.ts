import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import ImageKit from 'imagekit';
import { AppError, type Logger } from '@chat/platform';
import type { ImageKitSettings } from '../../config.js';
import { cdnExtension } from '../../domain/serving.js';
import type { MediaFileRecord } from '../../domain/media-file.js';
import type { MediaStorage, StoredObject, UploadToken } from './storage.js';
import type { StagedFile } from '../../domain/staged-file.js';

/**
 * ImageKit through its Node SDK for uploads (streamed from the staged file) and for the
 * client-upload signature. The SDK's management calls have their host hard-coded
 * (https://api.imagekit.io), so delete and metadata call the same REST endpoints with the
 * same Basic auth directly, against IMAGEKIT_API_URL; the upload host is the SDK's own
 * `uploadEndpoint` option. Both are configurable so a local fake can stand in for ImageKit.
 */
export function createImageKitStorage(settings: ImageKitSettings, logger: Logger): MediaStorage {
  const sdk = new ImageKit({
    publicKey: settings.publicKey,
    privateKey: settings.privateKey,
    urlEndpoint: settings.urlEndpoint,
    uploadEndpoint: settings.uploadEndpoint,
  });
  const authorization = `Basic ${Buffer.from(`${settings.privateKey}:`).toString('base64')}`;

  const storageDown = (what: string, details: unknown) => {
    logger.warn({ details, what }, 'ImageKit call failed');
    return new AppError('UNAVAILABLE', 'Media storage is unavailable, try again');
  };

  async function api(method: 'GET' | 'DELETE' | 'POST', path: string, json?: object): Promise<Response> {
    try {
      return await fetch(`${settings.apiUrl}${path}`, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(json && { 'content-type': 'application/json' }),
        },
        ...(json && { body: JSON.stringify(json) }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (err) {
      throw storageDown(`${method} ${path}`, (err as Error).message);
    }
  }

  const fileIdPath = (record: MediaFileRecord) => `/v1/files/${encodeURIComponent(record.storageKey)}`;

  return {
    kind: 'imagekit',
    async store(file: StagedFile, target: { chatId: string }): Promise<StoredObject> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ImageKit upload timed out')), settings.timeoutMs);
      });
      try {
        const res = await Promise.race([
          sdk.upload({
            file: createReadStream(file.path),
            // Never the client's name or extension (an uploaded `x.html` or `x.svg` would be
            // served as a page from the CDN): a random name, the extension of the detected type.
            fileName: `${randomBytes(16).toString('hex')}.${cdnExtension(file.ext)}`,
            folder: `${settings.folder}/${target.chatId}`,
            useUniqueFileName: false,
          }),
          timeout,
        ]);
        if (!res?.fileId || !res.url) throw new Error('ImageKit answered without fileId or url');
        return { fileId: res.fileId, storageKey: res.fileId, url: res.url };
      } catch (err) {
        const e = err as { message?: string; help?: string; $ResponseMetadata?: { statusCode?: number } };
        throw storageDown('upload', { message: e.message, help: e.help, status: e.$ResponseMetadata?.statusCode });
      } finally {
        clearTimeout(timer);
      }
    },
    async remove(record: MediaFileRecord): Promise<void> {
      const res = await api('DELETE', fileIdPath(record));
      if (res.status !== 204 && res.status !== 200 && res.status !== 404) {
        throw storageDown('delete', { status: res.status, body: await res.text().catch(() => '') });
      }
      // The CDN keeps serving what it cached until told: a deleted file's URL must stop working.
      // A failed purge fails the removal, so its caller tries again (the delete answers 404 then).
      const purge = await api('POST', '/v1/files/purge', { url: record.url });
      if (!purge.ok) throw storageDown('purge', { status: purge.status, body: await purge.text().catch(() => '') });
    },
    async metadata(record: MediaFileRecord): Promise<Record<string, unknown>> {
      // The metadata API describes images and videos; other files get their file details.
      const suffix = record.messageType === 'file' ? '/details' : '/metadata';
      const res = await api('GET', `${fileIdPath(record)}${suffix}`);
      if (!res.ok) throw storageDown('metadata', { status: res.status, body: await res.text().catch(() => '') });
      const body = (await res.json()) as unknown;
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    },
    uploadToken(): UploadToken {
      const { token, expire, signature } = sdk.getAuthenticationParameters();
      return { token, expire, signature, publicKey: settings.publicKey, urlEndpoint: settings.urlEndpoint };
    },
  };
}
