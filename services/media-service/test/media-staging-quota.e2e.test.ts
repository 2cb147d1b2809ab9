import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tokenFor } from '@chat/testkit';
import { fixtures } from './support/fixtures.js';
import { MB, useMediaWorld } from './support/media-world.js';
import { form, postGeneratedFile, type GeneratedFileOptions } from './support/multipart.js';

// Small numbers so the suite stays fast: each file fits its limit, two fit the quota, three do not.
const QUOTA = 8 * MB;
const FILE_LIMIT = 4 * MB;
const FILE = 3.5 * MB;
/** Where a held upload pauses: this much of it is staged while it waits. */
const HELD = 3 * MB;
/** What busboy may keep back while it looks for the next boundary. */
const SLACK = 64 * 1024;

describe('staging quota: bytes one user may have staged at once, through the edge', () => {
  const w = useMediaWorld('local', {
    MEDIA_MAX_IMAGE_BYTES: String(FILE_LIMIT),
    MEDIA_MAX_VIDEO_BYTES: String(FILE_LIMIT),
    MEDIA_MAX_FILE_BYTES: String(FILE_LIMIT),
    MEDIA_STAGING_QUOTA_BYTES: String(QUOTA),
  });

  /** Sizes of the files staged now (a file removed while we look counts as gone). */
  const stagedSizes = () =>
    w.tmpFiles().flatMap((name) => {
      try {
        return [statSync(join(w.storageDir, 'tmp', name)).size];
      } catch {
        return [];
      }
    });

  const send = (user: string, opts: Partial<GeneratedFileOptions> = {}) =>
    postGeneratedFile(`${w.edge.url}/api/media/upload-chat-media`, tokenFor(user), {
      chatId: w.chatId,
      fileName: 'upload.png',
      head: fixtures.png(),
      totalBytes: FILE,
      ...opts,
    });

  /**
   * Starts `n` uploads by `user` and waits until each has HELD bytes staged; they stay paused
   * until `finish()`, which resolves with their answers.
   */
  async function hold(user: string, n: number, opts: Partial<GeneratedFileOptions> = {}) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const answers = Array.from({ length: n }, (_, i) =>
      send(user, { ...opts, fileName: `held-${i}.png`, pauseAt: { bytes: HELD, run: () => gate } }),
    );
    const finish = () => {
      open();
      return Promise.all(answers);
    };
    try {
      await vi.waitFor(
        () => {
          const sizes = stagedSizes();
          expect(sizes).toHaveLength(n);
          for (const size of sizes) expect(size).toBeGreaterThanOrEqual(HELD - SLACK);
        },
        { timeout: 10_000, interval: 50 },
      );
    } catch (err) {
      await finish().catch(() => undefined);
      throw err;
    }
    return { finish };
  }

  it('when one user has two uploads staged, a third that would pass the quota is 429 and leaves nothing staged; another user is not held back', async () => {
    const held = await hold(w.alice, 2);
    let answers: Awaited<ReturnType<typeof held.finish>>;
    try {
      const third = await send(w.alice, { fileName: 'third.png' });
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toBe('1');
      expect(third.body).toEqual({
        status: 429,
        message: `Too many bytes uploading at once: at most ${QUOTA} bytes across your uploads in progress, wait for one to finish`,
        error: { reason: 'STAGING_QUOTA', limitBytes: QUOTA, retryAfterSeconds: 1 },
      });
      // Only the two held uploads remain staged: the refused one was deleted.
      await vi.waitFor(() => expect(stagedSizes()).toHaveLength(2), { timeout: 2_000, interval: 20 });
      expect((await send(w.bob, { fileName: 'bob.png' })).status).toBe(200);
    } finally {
      answers = await held.finish();
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    // Their 7 MB went back when they finished; still counted, this upload would not fit.
    expect((await send(w.alice, { fileName: 'after.png' })).status).toBe(200);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('an upload the client aborts gives its bytes back, so the next ones fit', async () => {
    const controller = new AbortController();
    const aborted = send(w.alice, {
      fileName: 'aborted.png',
      signal: controller.signal,
      pauseAt: {
        bytes: HELD,
        run: async () => {
          await vi.waitFor(() => expect(stagedSizes()[0]).toBeGreaterThanOrEqual(HELD - SLACK), {
            timeout: 10_000,
            interval: 50,
          });
          controller.abort();
        },
      },
    });
    await expect(aborted).rejects.toThrow();
    await vi.waitFor(() => expect(w.tmpFiles()).toEqual([]), { timeout: 10_000, interval: 50 });
    // With the aborted 3 MB still counted, a held 3 MB and this 3.5 MB would not fit in 8 MB.
    const held = await hold(w.alice, 1);
    let answers: Awaited<ReturnType<typeof held.finish>>;
    try {
      expect((await send(w.alice, { fileName: 'next.png' })).status).toBe(200);
    } finally {
      answers = await held.finish();
    }
    expect(answers.map((a) => a.status)).toEqual([200]);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('a stranger who sends the file before chatId (checked only after the file) is bounded by the same quota, then 403', async () => {
    const held = await hold(w.carol, 2, { chatIdLast: true });
    let answers: Awaited<ReturnType<typeof held.finish>>;
    try {
      const third = await send(w.carol, { chatIdLast: true, fileName: 'third.png' });
      expect(third.status).toBe(429);
      expect(third.body.error).toMatchObject({ reason: 'STAGING_QUOTA' });
      await vi.waitFor(() => expect(stagedSizes()).toHaveLength(2), { timeout: 2_000, interval: 20 });
    } finally {
      answers = await held.finish();
    }
    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    expect(await w.records({ uploaderId: w.carol })).toEqual([]);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('a bulk upload that alone holds more than the quota is 413 and nothing of it stays', async () => {
    const before = (await w.records({ uploaderId: w.alice })).length;
    const file = (i: number): [string, Buffer, string] => [
      'files',
      Buffer.concat([fixtures.png(), Buffer.alloc(FILE - fixtures.png().length, 0x41)]),
      `${i}.png`,
    ];
    const res = await w
      .as(w.alice)
      .post('/api/media/bulk-upload', form([['chatId', w.chatId], file(0), file(1), file(2)]));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      status: 413,
      message: `Upload too large: at most ${QUOTA} bytes may be staged at once`,
      error: { reason: 'STAGING_QUOTA', limitBytes: QUOTA },
    });
    await vi.waitFor(() => expect(w.tmpFiles()).toEqual([]), { timeout: 2_000, interval: 20 });
    expect((await w.records({ uploaderId: w.alice })).length).toBe(before);
  });

  it('in a bulk upload, the bytes of a file cut off at its limit go back to the quota, so the rest of the batch fits', async () => {
    const png = (bytes: number) => Buffer.concat([fixtures.png(), Buffer.alloc(bytes - fixtures.png().length, 0x41)]);
    // 4 MB of the first file are staged before it passes its limit; kept, 4 + 3.5 + 3.5 > 8 MB.
    const res = await w.as(w.alice).post(
      '/api/media/bulk-upload',
      form([
        ['chatId', w.chatId],
        ['files', png(FILE_LIMIT + MB), 'too-big.png'],
        ['files', png(FILE), 'one.png'],
        ['files', png(FILE), 'two.png'],
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ totalAttempted: 3, successful: 2, failed: 1 });
    expect(res.body.failed).toEqual([
      { index: 0, fileName: 'too-big.png', status: 413, message: `File too large: the limit is ${FILE_LIMIT} bytes` },
    ]);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('a malformed chatId sent before the file is 400 before a byte of the file is read', async () => {
    // Over the file limit: had its bytes been staged, the answer would be 413.
    const res = await send(w.alice, { chatId: 'not-an-id', totalBytes: FILE_LIMIT + MB });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual([expect.objectContaining({ field: 'chatId' })]);
    expect(w.tmpFiles()).toEqual([]);
  });
});
