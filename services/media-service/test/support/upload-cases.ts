import { expect, it, vi } from 'vitest';
import { api, newUserId, tokenFor } from '@chat/testkit';
import { fixtures } from './fixtures.js';
import { form, postGeneratedFile } from './multipart.js';
import { MB, type MediaWorld } from './media-world.js';

/** Endpoints 14 and 15: what is accepted, what is refused, and what is left behind. */
export function uploadCases(w: MediaWorld) {
  it('logs which storage it chose at start', () => {
    expect(w.media.output()).toContain(w.kind === 'local' ? 'media storage: local volume' : 'media storage: ImageKit');
  });

  it('an image: 200 with the specification fields, stored, recorded, and fetchable at its url', async () => {
    const png = fixtures.png();
    const res = await w.uploadPng(w.alice, w.chatId, 'holiday.png');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 200, message: 'File uploaded successfully', success: true });
    const data = res.body.data;
    expect(data).toMatchObject({
      fileName: 'holiday.png',
      fileSize: png.length,
      mimeType: 'image/png',
      messageType: 'image',
    });
    expect(typeof data.fileId).toBe('string');
    expect(new Date(data.uploadedAt).toString()).not.toBe('Invalid Date');
    const [record] = await w.records({ fileId: data.fileId });
    expect(record).toMatchObject({
      chatId: w.chatId,
      uploaderId: w.alice,
      fileSize: png.length,
      mimeType: 'image/png',
      storage: w.kind,
      url: data.url,
    });
    const served = await fetch(data.url);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    if (w.kind === 'local') {
      expect(data.url).toMatch(new RegExp(`^${w.edge.url}/api/media/files/[A-Za-z0-9_-]{32}\\.png$`));
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.headers.get('content-disposition')).toMatch(/^inline/);
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      const range = await fetch(data.url, { headers: { range: 'bytes=0-7' } });
      expect(range.status).toBe(206);
      expect(Buffer.from(await range.arrayBuffer()).equals(png.subarray(0, 8))).toBe(true);
    } else {
      expect(w.fake!.files.get(data.fileId)).toMatchObject({ folder: `/chat-media/${w.chatId}` });
      expect(w.fake!.files.get(data.fileId)!.bytes.equals(png)).toBe(true);
    }
    expect(w.tmpFiles()).toEqual([]);
  });

  it('a video: messageType video and its duration read from the MP4 header', async () => {
    const res = await w.upload(w.alice, [
      ['chatId', w.chatId],
      ['file', fixtures.mp4(4.25), 'clip.mp4', 'video/mp4'],
    ]);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ messageType: 'video', mimeType: 'video/mp4', duration: 4.25 });
    expect((await w.records({ fileId: res.body.data.fileId }))[0]).toMatchObject({
      duration: 4.25,
      messageType: 'video',
    });
  });

  it('a PDF is a file, and a CSV (no signature) is a text/plain file, whatever the client claimed', async () => {
    const pdf = await w.upload(w.bob, [
      ['chatId', w.chatId],
      ['file', fixtures.pdf(), 'report.pdf', 'image/jpeg'],
    ]);
    expect(pdf.status).toBe(200);
    expect(pdf.body.data).toMatchObject({ messageType: 'file', mimeType: 'application/pdf', fileName: 'report.pdf' });
    const csv = await w.upload(w.bob, [
      ['chatId', w.chatId],
      ['file', fixtures.csv(), 'stock.csv', 'video/mp4'],
    ]);
    expect(csv.status).toBe(200);
    expect(csv.body.data).toMatchObject({ messageType: 'file', mimeType: 'text/plain' });
  });

  it('a file named .png whose bytes are an executable is refused with 415 and nothing is kept', async () => {
    const before = (await w.allRecords()).length;
    const calls = w.fake?.files.size;
    for (const bytes of [fixtures.elf(), fixtures.pe(), fixtures.machO(), Buffer.from('#!/bin/sh\necho pwned\n')]) {
      const res = await w.upload(w.alice, [
        ['chatId', w.chatId],
        ['file', bytes, 'cute-cat.png', 'image/png'],
      ]);
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ status: 415, message: 'Executable files are not allowed' });
    }
    expect((await w.allRecords()).length).toBe(before);
    expect(w.fake?.files.size).toBe(calls);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('a missing file or chatId, a malformed chatId and a wrong form are 400', async () => {
    const noFile = await w.upload(w.alice, [['chatId', w.chatId]]);
    expect(noFile.status).toBe(400);
    expect(noFile.body.message).toMatch(/'file' part is required/);
    const noChat = await w.upload(w.alice, [['file', fixtures.png(), 'a.png']]);
    expect(noChat.status).toBe(400);
    expect(noChat.body.error).toEqual([expect.objectContaining({ field: 'chatId' })]);
    for (const bad of ['{"$gt":""}', 'not-an-id', '__proto__', 'a'.repeat(1000)]) {
      const res = await w.upload(w.alice, [
        ['chatId', bad],
        ['file', fixtures.png(), 'a.png'],
      ]);
      expect(res.status).toBe(400);
    }
    const twice = await w.upload(w.alice, [
      ['chatId', w.chatId],
      ['chatId', w.chatId],
      ['file', fixtures.png(), 'a.png'],
    ]);
    expect(twice.status).toBe(400);
    const wrongField = await w.upload(w.alice, [
      ['chatId', w.chatId],
      ['picture', fixtures.png(), 'a.png'],
    ]);
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.message).toMatch(/Unexpected file field 'picture'/);
    const twoFiles = await w.upload(w.alice, [
      ['chatId', w.chatId],
      ['file', fixtures.png(), 'a.png'],
      ['file', fixtures.png(), 'b.png'],
    ]);
    expect(twoFiles.status).toBe(400);
    const json = await w.as(w.alice).post('/api/media/upload-chat-media', { chatId: w.chatId, file: 'x' });
    expect(json.status).toBe(400);
    const empty = await w.upload(w.alice, [
      ['chatId', w.chatId],
      ['file', Buffer.alloc(0), 'empty.txt'],
    ]);
    expect(empty.status).toBe(400);
    const noToken = await api(w.edge.url).post('/api/media/upload-chat-media', form([['chatId', w.chatId]]));
    expect(noToken.status).toBe(401);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('a chat the caller is not in is 403 (chatId before or after the file), an unknown chat 404, nothing kept', async () => {
    const before = (await w.allRecords()).length;
    const first = await w.uploadPng(w.carol, w.chatId);
    expect(first.status).toBe(403);
    expect(first.body.message).toBe('You are not a participant of this chat');
    const after = await w.upload(w.carol, [
      ['file', fixtures.png(), 'a.png'],
      ['chatId', w.chatId],
    ]);
    expect(after.status).toBe(403);
    const unknown = await w.uploadPng(w.alice, newUserId());
    expect(unknown.status).toBe(404);
    expect((await w.allRecords()).length).toBe(before);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('an image over the image limit is 413 even though the largest (video) limit is higher', async () => {
    const res = await postGeneratedFile(`${w.edge.url}/api/media/upload-chat-media`, tokenFor(w.alice), {
      chatId: w.chatId,
      fileName: 'big.png',
      head: fixtures.png(),
      totalBytes: 25 * MB + 1,
    });
    expect(res.status).toBe(413);
    expect(res.body.message).toBe(`File too large: the limit is ${25 * MB} bytes`);
  });

  it('an oversized file is 413, and the service does not hold it in memory', async () => {
    // The previous test streamed 25 MB already, so the process's buffers are warm.
    const before = (await w.allRecords()).length;
    const rssBefore = await w.rss();
    const res = await postGeneratedFile(`${w.edge.url}/api/media/upload-chat-media`, tokenFor(w.alice), {
      chatId: w.chatId,
      fileName: 'huge.png',
      head: fixtures.png(),
      totalBytes: 150 * MB,
    });
    expect(res.status).toBe(413);
    // Cut off at the image limit, the moment the PNG passed it.
    expect(res.body).toMatchObject({ status: 413, message: `File too large: the limit is ${25 * MB} bytes` });
    const growth = (await w.rss()) - rssBefore;
    console.info(`media-service RSS growth over a 150 MB upload: ${(growth / MB).toFixed(1)} MB`);
    // A bound, not a timing: whatever the process keeps, it is far from the 150 MB it read.
    // (Node 24 keeps a few MB more than Node 20: the bound is half the upload.)
    expect(growth).toBeLessThan(75 * MB);
    expect((await w.allRecords()).length).toBe(before);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('an upload the client abandons midway leaves no staged file and no record behind', async () => {
    const before = (await w.allRecords()).length;
    const controller = new AbortController();
    let stagedWhileStreaming = 0;
    const abandoned = postGeneratedFile(`${w.edge.url}/api/media/upload-chat-media`, tokenFor(w.alice), {
      chatId: w.chatId,
      fileName: 'abandoned.mp4',
      head: fixtures.mp4(),
      totalBytes: 60 * MB,
      signal: controller.signal,
      pauseAt: {
        bytes: 8 * MB,
        run: async () => {
          await vi.waitFor(() => expect(w.tmpFiles().length).toBe(1), { timeout: 10_000, interval: 50 });
          stagedWhileStreaming = w.tmpFiles().length;
          controller.abort();
        },
      },
    });
    await expect(abandoned).rejects.toThrow();
    expect(stagedWhileStreaming).toBe(1);
    await vi.waitFor(() => expect(w.tmpFiles()).toEqual([]), { timeout: 10_000, interval: 50 });
    expect((await w.allRecords()).length).toBe(before);
  });

  it('one user may have 3 uploads in flight: a 4th is 429 before its body is read, another user is not held back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let paused = 0;
    const held = [1, 2, 3].map((i) =>
      postGeneratedFile(`${w.edge.url}/api/media/upload-chat-media`, tokenFor(w.alice), {
        chatId: w.chatId,
        fileName: `held-${i}.png`,
        head: fixtures.png(),
        totalBytes: 2 * MB,
        pauseAt: { bytes: MB, run: () => (paused++, gate) },
      }),
    );
    try {
      await vi.waitFor(() => expect(paused).toBe(3), { timeout: 10_000, interval: 20 });
      await vi.waitFor(() => expect(w.tmpFiles().length).toBe(3), { timeout: 10_000, interval: 50 });
      const fourth = await w.uploadPng(w.alice);
      expect(fourth.status).toBe(429);
      expect(fourth.body.message).toMatch(/At most 3 uploads at once/);
      expect((await w.uploadPng(w.bob)).status).toBe(200);
    } finally {
      release(); // whatever failed, the held uploads finish and free their slots
    }
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await w.uploadPng(w.alice)).status).toBe(200);
  });

  it('bulk upload reports per file: one bad file in three fails alone', async () => {
    const res = await w.as(w.bob).post(
      '/api/media/bulk-upload',
      form([
        ['chatId', w.chatId],
        ['files', fixtures.png(), 'one.png', 'image/png'],
        ['files', fixtures.elf(), 'two.png', 'image/png'],
        ['files', fixtures.pdf(), 'three.pdf', 'application/pdf'],
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 200,
      success: true,
      message: '2 file(s) uploaded, 1 failed',
      summary: { totalAttempted: 3, successful: 2, failed: 1 },
    });
    expect(res.body.data.map((f: { fileName: string }) => f.fileName)).toEqual(['one.png', 'three.pdf']);
    expect(res.body.failed).toEqual([
      { index: 1, fileName: 'two.png', status: 415, message: 'Executable files are not allowed' },
    ]);
    for (const f of res.body.data)
      expect((await w.records({ fileId: f.fileId, uploaderId: w.bob, chatId: w.chatId })).length).toBe(1);
    const metrics = await (await fetch(`${w.media.url}/metrics`)).text();
    expect(metrics).toMatch(/^media_uploads_total\{(?=[^}]*outcome="refused")(?=[^}]*status="415")[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^media_uploads_total\{(?=[^}]*outcome="stored")[^}]*\} [1-9]/m);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('bulk upload: a file over its type limit fails alone with 413 while the others are kept', async () => {
    const big = Buffer.concat([fixtures.png(), Buffer.alloc(25 * MB + 1 - fixtures.png().length, 0x41)]);
    const res = await w.as(w.alice).post(
      '/api/media/bulk-upload',
      form([
        ['chatId', w.chatId],
        ['files', fixtures.png(), 'small.png'],
        ['files', big, 'big.png'],
        ['files', fixtures.mp4(), 'clip.mp4'],
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ totalAttempted: 3, successful: 2, failed: 1 });
    expect(res.body.failed).toEqual([
      { index: 1, fileName: 'big.png', status: 413, message: `File too large: the limit is ${25 * MB} bytes` },
    ]);
    expect(res.body.data.map((f: { messageType: string }) => f.messageType)).toEqual(['image', 'video']);
    expect(w.tmpFiles()).toEqual([]);
  });

  it('bulk upload: a stranger is 403 for the whole batch, too many files is 400, none is 400', async () => {
    const batch = (user: string, n: number, chat = w.chatId) =>
      w
        .as(user)
        .post(
          '/api/media/bulk-upload',
          form([
            ['chatId', chat],
            ...Array.from({ length: n }, (_, i) => ['files', fixtures.png(), `${i}.png`] as [string, Buffer, string]),
          ]),
        );
    expect((await batch(w.carol, 2)).status).toBe(403);
    const tooMany = await batch(w.alice, 11);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/At most 10 file/);
    expect((await batch(w.alice, 0)).status).toBe(400);
    expect(w.tmpFiles()).toEqual([]);
  });
}
