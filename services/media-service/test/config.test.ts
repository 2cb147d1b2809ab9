import { mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, createLogger, parseConfig } from '@chat/platform';
import { imageKitSettings, mediaConfigSchema } from '../src/config.js';
import { sweepStaleUploads } from '../src/entry/http/upload/sweep-staging.js';

const base = { JWT_SECRET: 'a-secret-of-at-least-16-chars' };
const imageKit = {
  Image_Kit_Public_Key_Owner: 'pub',
  Image_Kit_Private_Key_Owner: 'priv',
  Image_Kit_URL: 'https://ik.imagekit.io/demo',
};

describe('media-service configuration', () => {
  it('defaults: local storage, 25/100/25 MB limits, 10 files per bulk, executables refused', () => {
    const config = parseConfig(mediaConfigSchema, base);
    expect(config).toMatchObject({
      PORT: 3003,
      MEDIA_STORAGE_DIR: '.local/media',
      MEDIA_MAX_IMAGE_BYTES: 25 * 1024 * 1024,
      MEDIA_MAX_VIDEO_BYTES: 100 * 1024 * 1024,
      MEDIA_MAX_FILE_BYTES: 25 * 1024 * 1024,
      MEDIA_MAX_BULK_FILES: 10,
      MEDIA_MAX_CONCURRENT_UPLOADS: 3,
      MEDIA_STAGING_QUOTA_BYTES: 1000 * 1024 * 1024,
      MEDIA_ALLOW_EXECUTABLES: false,
    });
    expect(imageKitSettings(config)).toBeUndefined();
  });

  it('all three Image_Kit_* variables select ImageKit, with the real hosts by default', () => {
    const settings = imageKitSettings(parseConfig(mediaConfigSchema, { ...base, ...imageKit }));
    expect(settings).toMatchObject({
      publicKey: 'pub',
      privateKey: 'priv',
      urlEndpoint: 'https://ik.imagekit.io/demo',
      uploadEndpoint: 'https://upload.imagekit.io/api/v1/files/upload',
      apiUrl: 'https://api.imagekit.io',
    });
  });

  it('half an ImageKit configuration refuses to start and names the missing variables', () => {
    const partial = { Image_Kit_Public_Key_Owner: 'pub', Image_Kit_Private_Key_Owner: 'priv' };
    expect(() => parseConfig(mediaConfigSchema, { ...base, ...partial })).toThrow(ConfigError);
    expect(() => parseConfig(mediaConfigSchema, { ...base, ...partial })).toThrow(/Image_Kit_URL: is required/);
  });

  it('MEDIA_ALLOW_EXECUTABLES takes true or false only; limits must be positive integers', () => {
    expect(parseConfig(mediaConfigSchema, { ...base, MEDIA_ALLOW_EXECUTABLES: 'true' }).MEDIA_ALLOW_EXECUTABLES).toBe(
      true,
    );
    expect(parseConfig(mediaConfigSchema, { ...base, MEDIA_ALLOW_EXECUTABLES: 'false' }).MEDIA_ALLOW_EXECUTABLES).toBe(
      false,
    );
    expect(() => parseConfig(mediaConfigSchema, { ...base, MEDIA_ALLOW_EXECUTABLES: 'yes' })).toThrow(
      /MEDIA_ALLOW_EXECUTABLES/,
    );
    expect(() => parseConfig(mediaConfigSchema, { ...base, MEDIA_MAX_IMAGE_BYTES: '-1' })).toThrow(
      /MEDIA_MAX_IMAGE_BYTES/,
    );
    expect(() => parseConfig(mediaConfigSchema, { ...base, MEDIA_MAX_BULK_FILES: '0' })).toThrow(
      /MEDIA_MAX_BULK_FILES/,
    );
  });

  it('a staging quota below the largest file limit refuses to start: such files could never be uploaded', () => {
    expect(() =>
      parseConfig(mediaConfigSchema, { ...base, MEDIA_STAGING_QUOTA_BYTES: String(50 * 1024 * 1024) }),
    ).toThrow(/MEDIA_STAGING_QUOTA_BYTES: must be at least the largest file limit \(104857600 bytes\)/);
    const small = { MEDIA_MAX_IMAGE_BYTES: '1000', MEDIA_MAX_VIDEO_BYTES: '1000', MEDIA_MAX_FILE_BYTES: '1000' };
    expect(parseConfig(mediaConfigSchema, { ...base, ...small, MEDIA_STAGING_QUOTA_BYTES: '1000' })).toMatchObject({
      MEDIA_STAGING_QUOTA_BYTES: 1000,
    });
  });

  it('storage quota and unattached uploads: 1 GiB per user, 24 h TTL, a sweep every 5 min; a quota below the largest file limit refuses to start', () => {
    expect(parseConfig(mediaConfigSchema, base)).toMatchObject({
      MEDIA_USER_QUOTA_BYTES: 1024 * 1024 * 1024,
      MEDIA_UNATTACHED_TTL_MS: 24 * 3600_000,
      MEDIA_SWEEP_INTERVAL_MS: 300_000,
    });
    expect(() => parseConfig(mediaConfigSchema, { ...base, MEDIA_USER_QUOTA_BYTES: String(50 * 1024 * 1024) })).toThrow(
      /MEDIA_USER_QUOTA_BYTES: must be at least the largest file limit \(104857600 bytes\)/,
    );
    expect(() => parseConfig(mediaConfigSchema, { ...base, MEDIA_UNATTACHED_TTL_MS: '0' })).toThrow(
      /MEDIA_UNATTACHED_TTL_MS/,
    );
  });
});

describe('sweepStaleUploads', () => {
  it('removes only old .part files, so uploads in progress on other replicas survive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    try {
      const old = join(dir, 'old.part');
      const fresh = join(dir, 'fresh.part');
      const other = join(dir, 'keep.txt');
      for (const f of [old, fresh, other]) writeFileSync(f, 'x');
      const past = new Date(Date.now() - 2 * 3600_000);
      utimesSync(old, past, past);
      utimesSync(other, past, past);
      expect(await sweepStaleUploads(dir, 3600_000, createLogger('test', 'silent'))).toBe(1);
      expect([existsSync(old), existsSync(fresh), existsSync(other)]).toEqual([false, true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
