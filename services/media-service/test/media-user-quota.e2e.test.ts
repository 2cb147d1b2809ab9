import { describe, expect, it, vi } from 'vitest';
import { mediaFileCheck } from '@chat/contracts';
import { fixtures } from './support/fixtures.js';
import { MB, useMediaWorld } from './support/media-world.js';
import { form } from './support/multipart.js';

// Small numbers so the suite stays fast: three 0.9 MB files fit the quota, a fourth does not.
const QUOTA = 3 * MB;
const FILE_LIMIT = 1 * MB;
const FILE = 900 * 1024;
const TTL_MS = 3000;

/** A PNG of exactly `bytes` bytes (its signature, then filler). */
const png = (bytes: number) => Buffer.concat([fixtures.png(), Buffer.alloc(bytes - fixtures.png().length, 0x41)]);

for (const kind of ['local', 'imagekit'] as const) {
  describe(`storage quota per user and unattached uploads, ${kind} storage, through the edge`, () => {
    const w = useMediaWorld(kind, {
      MEDIA_MAX_IMAGE_BYTES: String(FILE_LIMIT),
      MEDIA_MAX_VIDEO_BYTES: String(FILE_LIMIT),
      MEDIA_MAX_FILE_BYTES: String(FILE_LIMIT),
      MEDIA_USER_QUOTA_BYTES: String(QUOTA),
      MEDIA_MAX_CONCURRENT_UPLOADS: '10',
      MEDIA_UNATTACHED_TTL_MS: String(TTL_MS),
      MEDIA_SWEEP_INTERVAL_MS: '200',
    });

    const uploadBytes = (user: string, chatId: string, bytes: number, name = 'photo.png') =>
      w.upload(user, [
        ['chatId', chatId],
        ['file', png(bytes), name],
      ]);
    /** What message-api asks before send_media: a file that passes is attached to a message. */
    const check = (fileId: string, chatId: string, userId: string) =>
      w.bus.request(mediaFileCheck, { fileId, chatId, userId }, { userId });
    /** Uploads and attaches (as a send_media would), so the sweep leaves the file alone. */
    const keep = async (user: string, chatId: string, bytes: number) => {
      const up = await uploadBytes(user, chatId, bytes);
      expect(up.status).toBe(200);
      expect((await check(up.body.data.fileId, chatId, user)).ok).toBe(true);
      return up.body.data as { fileId: string; url: string };
    };
    const storedBytes = async (user: string) =>
      (await w.records({ uploaderId: user })).reduce((sum, r) => sum + (r.fileSize as number), 0);
    const gone = async (file: { fileId: string; url: string }) => {
      expect(await w.records({ fileId: file.fileId })).toEqual([]);
      expect((await fetch(file.url)).status).toBe(404);
      if (w.fake) expect(w.fake.files.has(file.fileId)).toBe(false);
    };

    it('uploads under the quota pass; one past it is 413 STORAGE_QUOTA and stores nothing; a smaller one that fits passes', async () => {
      for (let i = 0; i < 3; i++) await keep(w.alice, w.chatId, FILE);
      const before = await w.records({ uploaderId: w.alice });
      const objects = w.fake?.files.size;
      const refused = await uploadBytes(w.alice, w.chatId, FILE, 'fourth.png');
      expect(refused.status).toBe(413);
      expect(refused.body).toEqual({
        status: 413,
        message: `Storage quota exceeded: you store ${3 * FILE} of your ${QUOTA} bytes and this file needs ${FILE}; delete files to make room`,
        error: { reason: 'STORAGE_QUOTA', limitBytes: QUOTA, usedBytes: 3 * FILE },
      });
      expect(await w.records({ uploaderId: w.alice })).toHaveLength(before.length);
      if (w.fake) expect(w.fake.files.size).toBe(objects);
      // The quota is per user: bob, in the same chat, is not held back.
      await keep(w.bob, w.chatId, FILE);
      // What is left (0.36 MB) still takes a file that fits in it.
      await keep(w.alice, w.chatId, QUOTA - 3 * FILE - 1000);
      expect(await storedBytes(w.alice)).toBeLessThanOrEqual(QUOTA);
      expect(w.tmpFiles()).toEqual([]);
    });

    it('a deleted file gives its bytes back: the upload refused before then passes', async () => {
      const [first] = await w.records({ uploaderId: w.alice });
      expect((await uploadBytes(w.alice, w.chatId, FILE)).status).toBe(413);
      const deleted = await w.as(w.alice).post('/api/media/delete', { fileId: first!.fileId });
      expect(deleted.status).toBe(200);
      await keep(w.alice, w.chatId, FILE);
    });

    it('a user whose files fill the quota is refused before the file is staged', async () => {
      const left = QUOTA - (await storedBytes(w.alice));
      expect(left).toBeGreaterThan(fixtures.png().length);
      await keep(w.alice, w.chatId, left);
      expect(await storedBytes(w.alice)).toBe(QUOTA);
      const res = await uploadBytes(w.alice, w.chatId, 1000, 'one-more.png');
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        status: 413,
        // Not "...and this file needs 1000": refused before the file was read.
        message: `Storage quota exceeded: you store ${QUOTA} of your ${QUOTA} bytes; delete files to make room`,
        error: { reason: 'STORAGE_QUOTA', limitBytes: QUOTA, usedBytes: QUOTA },
      });
      expect(w.tmpFiles()).toEqual([]);
    });

    it('a bulk upload stores the files that fit and reports the others as 413 one by one', async () => {
      const res = await w
        .as(w.dave)
        .post(
          '/api/media/bulk-upload',
          form([
            ['chatId', w.otherChatId],
            ...[0, 1, 2, 3].map((i) => ['files', png(FILE), `${i}.png`] as [string, Buffer, string]),
          ]),
        );
      expect(res.status).toBe(200);
      expect(res.body.summary).toEqual({ totalAttempted: 4, successful: 3, failed: 1 });
      expect(res.body.failed).toEqual([
        expect.objectContaining({
          index: 3,
          fileName: '3.png',
          status: 413,
          message: expect.stringMatching(/^Storage quota exceeded/),
        }),
      ]);
      for (const file of res.body.data) expect((await check(file.fileId, w.otherChatId, w.dave)).ok).toBe(true);
    });

    it('concurrent uploads cannot pass the quota together: each beyond it is refused 413 or 429', async () => {
      const user = w.bob; // holds one 0.9 MB file from the first test: room for two more
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => uploadBytes(user, w.chatId, FILE, `race-${i}.png`)),
      );
      const stored = answers.filter((a) => a.status === 200);
      const refused = answers.filter((a) => a.status !== 200);
      expect(stored.length).toBeLessThanOrEqual(2);
      expect(stored.length).toBeGreaterThanOrEqual(1);
      for (const a of refused) {
        expect([413, 429]).toContain(a.status);
        expect(a.body.error).toMatchObject({ reason: 'STORAGE_QUOTA', limitBytes: QUOTA });
      }
      expect(await storedBytes(user)).toBeLessThanOrEqual(QUOTA);
      expect(await w.db.collection('media_upload_holds').countDocuments({ uploaderId: user })).toBe(0);
      for (const a of stored) expect((await check(a.body.data.fileId, w.chatId, user)).ok).toBe(true);
    });

    it('an upload no message carries is removed after MEDIA_UNATTACHED_TTL_MS (record, storage, URL 404, bytes back); an attached one stays', async () => {
      const attached = await keep(w.carol, w.otherChatId, FILE);
      const unattached = (await uploadBytes(w.carol, w.otherChatId, FILE, 'never-sent.png')).body.data;
      const third = (await uploadBytes(w.carol, w.otherChatId, FILE, 'also-never-sent.png')).body.data;
      expect((await uploadBytes(w.carol, w.otherChatId, FILE)).status).toBe(413);
      await vi.waitFor(async () => expect(await w.records({ fileId: unattached.fileId })).toEqual([]), {
        timeout: 15_000,
        interval: 100,
      });
      await gone(unattached);
      await vi.waitFor(async () => gone(third), { timeout: 5_000, interval: 100 });
      // Past its TTL and swept, it can no longer be sent.
      expect(await check(unattached.fileId, w.otherChatId, w.carol)).toEqual({ ok: false });
      // The attached one, uploaded at the same time, is still there.
      expect(await w.records({ fileId: attached.fileId })).toHaveLength(1);
      expect((await fetch(attached.url)).status).toBe(200);
      if (w.fake) expect(w.fake.files.has(attached.fileId)).toBe(true);
      expect((await check(attached.fileId, w.otherChatId, w.carol)).ok).toBe(true);
      // Their bytes went back to carol's quota.
      expect(await storedBytes(w.carol)).toBe(FILE);
      expect((await uploadBytes(w.carol, w.otherChatId, FILE)).status).toBe(200);
    });
  });
}
