import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';

/**
 * A local stand-in for the parts of ImageKit the media-service calls, with the request and
 * response shapes of ImageKit's API reference:
 *   POST   /api/v1/files/upload        (upload host; multipart: file, fileName, folder, useUniqueFileName, ...)
 *   GET    /v1/files/:fileId/details   (file object)
 *   GET    /v1/files/:fileId/metadata  (image / video metadata)
 *   DELETE /v1/files/:fileId           (204, or 404 when unknown)
 *   POST   /v1/files/purge             (JSON { url }: 201 { requestId })
 * Every API call needs HTTP Basic auth with the private key as user name and an empty
 * password, as ImageKit does. It also serves the stored bytes under the URL endpoint, like
 * ImageKit's CDN, so a test can fetch what it uploaded; as the CDN does, it keeps serving a
 * file it served once after the file is deleted, until its URL is purged.
 */
export interface FakeFile {
  fileId: string;
  name: string;
  filePath: string;
  folder: string;
  bytes: Buffer;
  mime: string;
  fileType: 'image' | 'non-image';
  createdAt: string;
}

export interface ImageKitFake {
  /** Base URL of the fake; upload endpoint is `${url}/api/v1/files/upload`, API base is `url`. */
  url: string;
  urlEndpoint: string;
  privateKey: string;
  publicKey: string;
  files: Map<string, FakeFile>;
  /** Every request the fake answered: method, path and status. */
  calls: { method: string; path: string; status: number }[];
  /** The environment that points media-service at this fake. */
  env: Record<string, string>;
  close(): Promise<void>;
}

const HELP = 'For support kindly contact us at support@imagekit.io .';
const mimeOf = (bytes: Buffer): string =>
  bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    ? 'image/png'
    : bytes.subarray(4, 8).toString('latin1') === 'ftyp'
      ? 'video/mp4'
      : bytes.subarray(0, 5).toString('latin1') === '%PDF-'
        ? 'application/pdf'
        : 'application/octet-stream';

export async function startImageKitFake(opts: { privateKey?: string; publicKey?: string } = {}): Promise<ImageKitFake> {
  const privateKey = opts.privateKey ?? `private_${randomBytes(8).toString('hex')}`;
  const publicKey = opts.publicKey ?? `public_${randomBytes(8).toString('hex')}`;
  const files = new Map<string, FakeFile>();
  /** What the CDN served, by path: still served after a delete, until purged. */
  const cdnCache = new Map<string, FakeFile>();
  const calls: ImageKitFake['calls'] = [];
  const app = express();
  let urlEndpoint = '';

  app.use((req, res, next) => {
    res.on('finish', () => calls.push({ method: req.method, path: req.path, status: res.statusCode }));
    next();
  });

  // CDN: the stored bytes at their URL, no auth.
  app.get(/^\/ik-demo\/(.+)$/, (req, res) => {
    const path = `/${(req.params as Record<string, string>)[0]}`;
    const file = cdnCache.get(path) ?? [...files.values()].find((f) => f.filePath === path);
    if (!file) return void res.status(404).end();
    cdnCache.set(path, file);
    res.type(file.mime).send(file.bytes);
  });

  const basicAuth = (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const decoded = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString() : '';
    const user = decoded.slice(0, decoded.indexOf(':'));
    if (!decoded.includes(':') || user !== privateKey) {
      return void res.status(401).json({ message: 'Your account cannot be authenticated.', help: HELP });
    }
    next();
  };

  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 200 * 1024 * 1024 } });
  app.post('/api/v1/files/upload', basicAuth, upload.single('file'), (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    if (!req.file) return void res.status(400).json({ message: 'Missing file parameter for upload', help: HELP });
    if (!body.fileName)
      return void res.status(400).json({ message: 'Missing fileName parameter for upload', help: HELP });
    const fileId = randomBytes(12).toString('hex');
    const folder = (body.folder ?? '/').replace(/\/+$/, '') || '';
    const dot = body.fileName.lastIndexOf('.');
    const name =
      body.useUniqueFileName === 'false'
        ? body.fileName
        : dot > 0
          ? `${body.fileName.slice(0, dot)}_${randomBytes(5).toString('hex')}${body.fileName.slice(dot)}`
          : `${body.fileName}_${randomBytes(5).toString('hex')}`;
    const filePath = `${folder}/${name}`;
    const mime = mimeOf(req.file.buffer);
    const file: FakeFile = {
      fileId,
      name,
      filePath,
      folder: folder || '/',
      bytes: req.file.buffer,
      mime,
      fileType: mime.startsWith('image/') ? 'image' : 'non-image',
      createdAt: new Date().toISOString(),
    };
    files.set(fileId, file);
    const image = file.fileType === 'image';
    res.status(200).json({
      fileId,
      name,
      size: file.bytes.length,
      versionInfo: { id: fileId, name: 'Version 1' },
      filePath,
      url: `${urlEndpoint}${filePath}`,
      fileType: file.fileType,
      height: image ? 2 : null,
      width: image ? 2 : null,
      thumbnailUrl: image ? `${urlEndpoint}/tr:n-ik_ml_thumbnail${filePath}` : '',
      tags: null,
      AITags: null,
      isPrivateFile: false,
      customCoordinates: null,
    });
  });

  const find = (req: Request, res: Response): FakeFile | undefined => {
    const file = files.get(String(req.params.fileId));
    if (!file) res.status(404).json({ message: 'The requested file does not exist.', help: HELP });
    return file;
  };

  app.get('/v1/files/:fileId/details', basicAuth, (req, res) => {
    const file = find(req, res);
    if (!file) return;
    const image = file.fileType === 'image';
    res.json({
      type: 'file',
      name: file.name,
      createdAt: file.createdAt,
      updatedAt: file.createdAt,
      fileId: file.fileId,
      tags: null,
      AITags: null,
      versionInfo: { id: file.fileId, name: 'Version 1' },
      embeddedMetadata: {},
      customCoordinates: null,
      customMetadata: {},
      isPrivateFile: false,
      url: `${urlEndpoint}${file.filePath}`,
      thumbnail: image ? `${urlEndpoint}/tr:n-ik_ml_thumbnail${file.filePath}` : '',
      fileType: file.fileType,
      filePath: file.filePath,
      height: image ? 2 : 0,
      width: image ? 2 : 0,
      size: file.bytes.length,
      hasAlpha: false,
      mime: file.mime,
    });
  });

  app.get('/v1/files/:fileId/metadata', basicAuth, (req, res) => {
    const file = find(req, res);
    if (!file) return;
    if (file.mime.startsWith('video/')) {
      return void res.json({
        height: 720,
        width: 1280,
        bitRate: 1_000_000,
        duration: 4,
        audioCodec: 'aac',
        videoCodec: 'h264',
        size: file.bytes.length,
      });
    }
    res.json({
      height: 2,
      width: 2,
      size: file.bytes.length,
      format: file.mime.split('/')[1],
      hasColorProfile: false,
      quality: 0,
      density: 72,
      hasTransparency: false,
      exif: {},
      pHash: 'f06830ca9f1e3e90',
    });
  });

  app.delete('/v1/files/:fileId', basicAuth, (req, res) => {
    const file = find(req, res);
    if (!file) return;
    files.delete(file.fileId);
    res.status(204).end();
  });

  app.post('/v1/files/purge', basicAuth, express.json(), (req, res) => {
    const url: unknown = (req.body as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string' || !url.startsWith(`${urlEndpoint}/`)) {
      return void res.status(400).json({ message: 'Your request is missing URL parameter.', help: HELP });
    }
    cdnCache.delete(url.slice(urlEndpoint.length));
    res.status(201).json({ requestId: randomBytes(12).toString('hex') });
  });

  app.use((_req, res) => void res.status(404).json({ message: 'Not found', help: HELP }));

  const server: Server = createServer(app as unknown as (req: IncomingMessage, res: ServerResponse) => void);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  urlEndpoint = `${url}/ik-demo`;
  return {
    url,
    urlEndpoint,
    privateKey,
    publicKey,
    files,
    calls,
    env: {
      Image_Kit_Public_Key_Owner: publicKey,
      Image_Kit_Private_Key_Owner: privateKey,
      Image_Kit_URL: urlEndpoint,
      IMAGEKIT_UPLOAD_ENDPOINT: `${url}/api/v1/files/upload`,
      IMAGEKIT_API_URL: url,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
