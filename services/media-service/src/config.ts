import { z } from 'zod';
import { baseConfigSchema, msVar, portVar } from '@chat/platform';

const MB = 1024 * 1024;
const bytes = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

const IMAGEKIT_VARS = ['Image_Kit_Public_Key_Owner', 'Image_Kit_Private_Key_Owner', 'Image_Kit_URL'] as const;

export const mediaConfigSchema = baseConfigSchema
  .extend({
    PORT: portVar(3003),
    /** Local storage volume: files under `<dir>/files`, uploads in progress under `<dir>/tmp`. */
    MEDIA_STORAGE_DIR: z.string().min(1).default('.local/media'),
    /** Where uploads are staged while they stream in (default `<MEDIA_STORAGE_DIR>/tmp`). */
    MEDIA_TMP_DIR: z.string().min(1).optional(),
    /** Prefix of the URLs of locally stored files (the edge's public origin); relative URLs when unset. */
    MEDIA_PUBLIC_URL: z.string().url().optional(),
    MEDIA_MAX_IMAGE_BYTES: bytes(25 * MB),
    MEDIA_MAX_VIDEO_BYTES: bytes(100 * MB),
    MEDIA_MAX_FILE_BYTES: bytes(25 * MB),
    MEDIA_MAX_BULK_FILES: z.coerce.number().int().min(1).max(100).default(10),
    /** Uploads one user may have in flight at once, per replica (each stages bytes on disk). */
    MEDIA_MAX_CONCURRENT_UPLOADS: z.coerce.number().int().min(1).default(3),
    /**
     * Bytes one user may have staged at once across those uploads, per replica, counted as they
     * arrive (also before a file-first form's chatId is checked). The default fits one full bulk
     * upload at the default limits (10 videos of 100 MB), not three of them at once.
     */
    MEDIA_STAGING_QUOTA_BYTES: bytes(1000 * MB),
    /**
     * Bytes of stored files one user may keep, across all their chats and every replica: an
     * upload past it is refused (413 with reason STORAGE_QUOTA). Deleted and swept files give
     * their bytes back.
     */
    MEDIA_USER_QUOTA_BYTES: bytes(1024 * MB),
    /** How long an upload no message carries is kept: after it, it cannot be sent and is removed. */
    MEDIA_UNATTACHED_TTL_MS: msVar(24 * 60 * 60 * 1000),
    /** How often each replica looks for unattached uploads past their TTL. */
    MEDIA_SWEEP_INTERVAL_MS: msVar(5 * 60 * 1000),
    /** ImageKit upload signatures one user may get per minute, per replica (each allows uploads to our account). */
    MEDIA_UPLOAD_TOKENS_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    MEDIA_ALLOW_EXECUTABLES: flag(false),
    Image_Kit_Public_Key_Owner: z.string().min(1).optional(),
    Image_Kit_Private_Key_Owner: z.string().min(1).optional(),
    Image_Kit_URL: z.string().url().optional(),
    /** ImageKit hosts; overridable so tests (and proxies) can stand in for the real ones. */
    IMAGEKIT_UPLOAD_ENDPOINT: z.string().url().default('https://upload.imagekit.io/api/v1/files/upload'),
    IMAGEKIT_API_URL: z.string().url().default('https://api.imagekit.io'),
    IMAGEKIT_FOLDER: z
      .string()
      .regex(/^\/[\w\-/]*$/, 'must be a folder path like /chat-media')
      .default('/chat-media'),
    IMAGEKIT_TIMEOUT_MS: msVar(120_000),
  })
  .superRefine((config, ctx) => {
    // A quota below one file's limit would refuse, forever, files the limits allow.
    const largest = Math.max(config.MEDIA_MAX_IMAGE_BYTES, config.MEDIA_MAX_VIDEO_BYTES, config.MEDIA_MAX_FILE_BYTES);
    if (config.MEDIA_STAGING_QUOTA_BYTES < largest) {
      ctx.addIssue({
        code: 'custom',
        path: ['MEDIA_STAGING_QUOTA_BYTES'],
        message: `must be at least the largest file limit (${largest} bytes)`,
      });
    }
    if (config.MEDIA_USER_QUOTA_BYTES < largest) {
      ctx.addIssue({
        code: 'custom',
        path: ['MEDIA_USER_QUOTA_BYTES'],
        message: `must be at least the largest file limit (${largest} bytes)`,
      });
    }
    // Half an ImageKit configuration is a mistake, not a request for local storage.
    const set = IMAGEKIT_VARS.filter((name) => config[name] !== undefined);
    if (set.length > 0 && set.length < IMAGEKIT_VARS.length) {
      for (const name of IMAGEKIT_VARS.filter((n) => config[n] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is required when ${set.join(', ')} is set` });
      }
    }
  });
export type MediaConfig = z.infer<typeof mediaConfigSchema>;

export interface ImageKitSettings {
  publicKey: string;
  privateKey: string;
  urlEndpoint: string;
  uploadEndpoint: string;
  apiUrl: string;
  folder: string;
  timeoutMs: number;
}

/** The ImageKit settings when all three `Image_Kit_*` variables are set, else undefined (local storage). */
export function imageKitSettings(config: MediaConfig): ImageKitSettings | undefined {
  const {
    Image_Kit_Public_Key_Owner: publicKey,
    Image_Kit_Private_Key_Owner: privateKey,
    Image_Kit_URL: urlEndpoint,
  } = config;
  if (!publicKey || !privateKey || !urlEndpoint) return undefined;
  return {
    publicKey,
    privateKey,
    urlEndpoint,
    uploadEndpoint: config.IMAGEKIT_UPLOAD_ENDPOINT,
    apiUrl: config.IMAGEKIT_API_URL.replace(/\/+$/, ''),
    folder: config.IMAGEKIT_FOLDER,
    timeoutMs: config.IMAGEKIT_TIMEOUT_MS,
  };
}
