import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mediaFileCheck } from '@chat/contracts';
import { Bus, createLogger, parseConfig } from '@chat/platform';
import { startMediaService } from '../../src/app.js';
import { mediaConfigSchema } from '../../src/config.js';
import {
  api,
  freePort,
  newUserId,
  spawnService,
  startTestInfra,
  tokenFor,
  type SpawnedService,
  type TestInfra,
} from '@chat/testkit';
import { fixtures } from './fixtures.js';
import { startImageKitFake, type ImageKitFake } from './imagekit-fake.js';
import { form, postGeneratedFile } from './multipart.js';

const MB = 1024 * 1024;

/**
 * The media-service end-to-end suite: real multipart requests through the edge, the real
 * chat-api answering chat.access.check, and one storage implementation (local, or ImageKit
 * through the fake). Both test files run this same suite.
 */
export function mediaSuite(kind: 'local' | 'imagekit') {
  describe(`media-service through the edge, ${kind} storage`, () => {
    let infra: TestInfra;
    let fake: ImageKitFake | undefined;
    let chatApi: SpawnedService;
    let media: SpawnedService;
    let edge: SpawnedService;
    let storageDir: string;
    let db: mongoose.Connection;
    let bus: Bus;
    const alice = newUserId();
    const bob = newUserId();
    const carol = newUserId();
    const dave = newUserId();
    let chatId: string; // alice <-> bob
    let otherChatId: string; // carol <-> dave
    const as = (user: string) => api(edge.url, tokenFor(user));

    const tmpFiles = () => readdirSync(join(storageDir, 'tmp'));
    const records = (filter: Record<string, unknown> = {}) => db.collection('media_files').find(filter).toArray();
    const upload = (user: string, parts: Parameters<typeof form>[0]) =>
      as(user).post('/api/media/upload-chat-media', form(parts));
    const uploadPng = (user = alice, chat = chatId, name = 'photo.png') =>
      upload(user, [
        ['chatId', chat],
        ['file', fixtures.png(), name, 'image/png'],
      ]);
    const rss = async () => {
      const text = await (await fetch(`${media.url}/metrics`)).text();
      return Number(/^process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1]);
    };

    beforeAll(async () => {
      infra = await startTestInfra();
      storageDir = mkdtempSync(join(tmpdir(), 'media-test-'));
      if (kind === 'imagekit') fake = await startImageKitFake();
      const edgePort = await freePort();
      const edgeUrl = `http://127.0.0.1:${edgePort}`;
      [chatApi, media] = await Promise.all([
        spawnService('chat-api', infra.env),
        spawnService('media-service', {
          ...infra.env,
          LOG_LEVEL: 'info',
          MEDIA_STORAGE_DIR: storageDir,
          MEDIA_PUBLIC_URL: edgeUrl,
          ...(fake?.env ?? {}),
        }),
      ]);
      edge = await spawnService(
        'edge',
        {
          ...infra.env,
          CHAT_API_URL: chatApi.url,
          MEDIA_SERVICE_URL: media.url,
          MESSAGE_API_URL: 'http://127.0.0.1:9',
        },
        { port: edgePort },
      );
      db = await mongoose.createConnection(infra.mongoUrl).asPromise();
      bus = await Bus.connect({
        url: infra.natsUrl,
        name: 'media-test',
        logger: createLogger('test', 'silent'),
        timeoutMs: 3000,
      });
      const created = await as(alice).post('/api/chats/or-create', { recipientId: bob });
      expect(created.status).toBe(201);
      chatId = created.body.data._id;
      otherChatId = (await as(carol).post('/api/chats/or-create', { recipientId: dave })).body.data._id;
    });

    afterAll(async () => {
      await bus?.drain();
      await db?.close();
      await Promise.all([edge?.stop(), media?.stop(), chatApi?.stop()]);
      await fake?.close();
      await infra?.stop();
      rmSync(storageDir, { recursive: true, force: true });
    });

    it('logs which storage it chose at start', () => {
      expect(media.output()).toContain(kind === 'local' ? 'media storage: local volume' : 'media storage: ImageKit');
    });

    it('an image: 200 with the specification fields, stored, recorded, and fetchable at its url', async () => {
      const png = fixtures.png();
      const res = await uploadPng(alice, chatId, 'holiday.png');
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
      const [record] = await records({ fileId: data.fileId });
      expect(record).toMatchObject({
        chatId,
        uploaderId: alice,
        fileSize: png.length,
        mimeType: 'image/png',
        storage: kind,
        url: data.url,
      });
      const served = await fetch(data.url);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
      if (kind === 'local') {
        expect(data.url).toMatch(new RegExp(`^${edge.url}/api/media/files/[A-Za-z0-9_-]{32}\\.png$`));
        expect(served.headers.get('content-type')).toBe('image/png');
        expect(served.headers.get('content-disposition')).toMatch(/^inline/);
        expect(served.headers.get('x-content-type-options')).toBe('nosniff');
        const range = await fetch(data.url, { headers: { range: 'bytes=0-7' } });
        expect(range.status).toBe(206);
        expect(Buffer.from(await range.arrayBuffer()).equals(png.subarray(0, 8))).toBe(true);
      } else {
        expect(fake!.files.get(data.fileId)).toMatchObject({ folder: `/chat-media/${chatId}` });
        expect(fake!.files.get(data.fileId)!.bytes.equals(png)).toBe(true);
      }
      expect(tmpFiles()).toEqual([]);
    });

    it('a video: messageType video and its duration read from the MP4 header', async () => {
      const res = await upload(alice, [
        ['chatId', chatId],
        ['file', fixtures.mp4(4.25), 'clip.mp4', 'video/mp4'],
      ]);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ messageType: 'video', mimeType: 'video/mp4', duration: 4.25 });
      expect((await records({ fileId: res.body.data.fileId }))[0]).toMatchObject({
        duration: 4.25,
        messageType: 'video',
      });
    });

    it('a PDF is a file, and a CSV (no signature) is a text/plain file, whatever the client claimed', async () => {
      const pdf = await upload(bob, [
        ['chatId', chatId],
        ['file', fixtures.pdf(), 'report.pdf', 'image/jpeg'],
      ]);
      expect(pdf.status).toBe(200);
      expect(pdf.body.data).toMatchObject({ messageType: 'file', mimeType: 'application/pdf', fileName: 'report.pdf' });
      const csv = await upload(bob, [
        ['chatId', chatId],
        ['file', fixtures.csv(), 'stock.csv', 'video/mp4'],
      ]);
      expect(csv.status).toBe(200);
      expect(csv.body.data).toMatchObject({ messageType: 'file', mimeType: 'text/plain' });
    });

    it('a file named .png whose bytes are an executable is refused with 415 and nothing is kept', async () => {
      const before = (await records()).length;
      const calls = fake?.files.size;
      for (const bytes of [fixtures.elf(), fixtures.pe(), fixtures.machO(), Buffer.from('#!/bin/sh\necho pwned\n')]) {
        const res = await upload(alice, [
          ['chatId', chatId],
          ['file', bytes, 'cute-cat.png', 'image/png'],
        ]);
        expect(res.status).toBe(415);
        expect(res.body).toMatchObject({ status: 415, message: 'Executable files are not allowed' });
      }
      expect((await records()).length).toBe(before);
      expect(fake?.files.size).toBe(calls);
      expect(tmpFiles()).toEqual([]);
    });

    it('a missing file or chatId, a malformed chatId and a wrong form are 400', async () => {
      const noFile = await upload(alice, [['chatId', chatId]]);
      expect(noFile.status).toBe(400);
      expect(noFile.body.message).toMatch(/'file' part is required/);
      const noChat = await upload(alice, [['file', fixtures.png(), 'a.png']]);
      expect(noChat.status).toBe(400);
      expect(noChat.body.error).toEqual([expect.objectContaining({ field: 'chatId' })]);
      for (const bad of ['{"$gt":""}', 'not-an-id', '__proto__', 'a'.repeat(1000)]) {
        const res = await upload(alice, [
          ['chatId', bad],
          ['file', fixtures.png(), 'a.png'],
        ]);
        expect(res.status).toBe(400);
      }
      const twice = await upload(alice, [
        ['chatId', chatId],
        ['chatId', chatId],
        ['file', fixtures.png(), 'a.png'],
      ]);
      expect(twice.status).toBe(400);
      const wrongField = await upload(alice, [
        ['chatId', chatId],
        ['picture', fixtures.png(), 'a.png'],
      ]);
      expect(wrongField.status).toBe(400);
      expect(wrongField.body.message).toMatch(/Unexpected file field 'picture'/);
      const twoFiles = await upload(alice, [
        ['chatId', chatId],
        ['file', fixtures.png(), 'a.png'],
        ['file', fixtures.png(), 'b.png'],
      ]);
      expect(twoFiles.status).toBe(400);
      const json = await as(alice).post('/api/media/upload-chat-media', { chatId, file: 'x' });
      expect(json.status).toBe(400);
      const empty = await upload(alice, [
        ['chatId', chatId],
        ['file', Buffer.alloc(0), 'empty.txt'],
      ]);
      expect(empty.status).toBe(400);
      const noToken = await api(edge.url).post('/api/media/upload-chat-media', form([['chatId', chatId]]));
      expect(noToken.status).toBe(401);
      expect(tmpFiles()).toEqual([]);
    });

    it('a chat the caller is not in is 403 (chatId before or after the file), an unknown chat 404, nothing kept', async () => {
      const before = (await records()).length;
      const first = await uploadPng(carol, chatId);
      expect(first.status).toBe(403);
      expect(first.body.message).toBe('You are not a participant of this chat');
      const after = await upload(carol, [
        ['file', fixtures.png(), 'a.png'],
        ['chatId', chatId],
      ]);
      expect(after.status).toBe(403);
      const unknown = await uploadPng(alice, newUserId());
      expect(unknown.status).toBe(404);
      expect((await records()).length).toBe(before);
      expect(tmpFiles()).toEqual([]);
    });

    it('an image over the image limit is 413 even though the largest (video) limit is higher', async () => {
      const res = await postGeneratedFile(`${edge.url}/api/media/upload-chat-media`, tokenFor(alice), {
        chatId,
        fileName: 'big.png',
        head: fixtures.png(),
        totalBytes: 25 * MB + 1,
      });
      expect(res.status).toBe(413);
      expect(res.body.message).toBe(`File too large: the limit is ${25 * MB} bytes`);
    });

    it('an oversized file is 413, and the service does not hold it in memory', async () => {
      // The previous test streamed 25 MB already, so the process's buffers are warm.
      const before = (await records()).length;
      const rssBefore = await rss();
      const res = await postGeneratedFile(`${edge.url}/api/media/upload-chat-media`, tokenFor(alice), {
        chatId,
        fileName: 'huge.png',
        head: fixtures.png(),
        totalBytes: 150 * MB,
      });
      expect(res.status).toBe(413);
      // Cut off at the image limit, the moment the PNG passed it.
      expect(res.body).toMatchObject({ status: 413, message: `File too large: the limit is ${25 * MB} bytes` });
      const growth = (await rss()) - rssBefore;
      console.info(`media-service RSS growth over a 150 MB upload: ${(growth / MB).toFixed(1)} MB`);
      // A bound, not a timing: whatever the process keeps, it is far from the 150 MB it read.
      expect(growth).toBeLessThan(50 * MB);
      expect((await records()).length).toBe(before);
      expect(tmpFiles()).toEqual([]);
    });

    it('an upload the client abandons midway leaves no staged file and no record behind', async () => {
      const before = (await records()).length;
      const controller = new AbortController();
      let stagedWhileStreaming = 0;
      const upload = postGeneratedFile(`${edge.url}/api/media/upload-chat-media`, tokenFor(alice), {
        chatId,
        fileName: 'abandoned.mp4',
        head: fixtures.mp4(),
        totalBytes: 60 * MB,
        signal: controller.signal,
        pauseAt: {
          bytes: 8 * MB,
          run: async () => {
            await vi.waitFor(() => expect(tmpFiles().length).toBe(1), { timeout: 10_000, interval: 50 });
            stagedWhileStreaming = tmpFiles().length;
            controller.abort();
          },
        },
      });
      await expect(upload).rejects.toThrow();
      expect(stagedWhileStreaming).toBe(1);
      await vi.waitFor(() => expect(tmpFiles()).toEqual([]), { timeout: 10_000, interval: 50 });
      expect((await records()).length).toBe(before);
    });

    it('bulk upload reports per file: one bad file in three fails alone', async () => {
      const res = await as(bob).post(
        '/api/media/bulk-upload',
        form([
          ['chatId', chatId],
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
        expect((await records({ fileId: f.fileId, uploaderId: bob, chatId })).length).toBe(1);
      expect(tmpFiles()).toEqual([]);
    });

    it('bulk upload: a file over its type limit fails alone with 413 while the others are kept', async () => {
      const big = Buffer.concat([fixtures.png(), Buffer.alloc(25 * MB + 1 - fixtures.png().length, 0x41)]);
      const res = await as(alice).post(
        '/api/media/bulk-upload',
        form([
          ['chatId', chatId],
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
      expect(tmpFiles()).toEqual([]);
    });

    it('bulk upload: a stranger is 403 for the whole batch, too many files is 400, none is 400', async () => {
      const batch = (user: string, n: number, chat = chatId) =>
        as(user).post(
          '/api/media/bulk-upload',
          form([
            ['chatId', chat],
            ...Array.from({ length: n }, (_, i) => ['files', fixtures.png(), `${i}.png`] as [string, Buffer, string]),
          ]),
        );
      expect((await batch(carol, 2)).status).toBe(403);
      const tooMany = await batch(alice, 11);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toMatch(/At most 10 file/);
      expect((await batch(alice, 0)).status).toBe(400);
      expect(tmpFiles()).toEqual([]);
    });

    it('metadata: the uploader and the other participant get it; a stranger and an unknown id get 404', async () => {
      const { fileId } = (await uploadPng(alice)).body.data;
      const mine = await as(alice).get(`/api/media/${fileId}/metadata`);
      expect(mine.status).toBe(200);
      expect(mine.body).toMatchObject({ status: 200, message: 'Metadata retrieved', success: true });
      expect(mine.body.data).toMatchObject({
        fileId,
        chatId,
        uploadedBy: alice,
        mimeType: 'image/png',
        messageType: 'image',
        storage: kind,
      });
      if (kind === 'imagekit') expect(mine.body.data).toMatchObject({ width: 2, height: 2, pHash: expect.any(String) });
      expect((await as(bob).get(`/api/media/${fileId}/metadata`)).status).toBe(200);
      const stranger = await as(carol).get(`/api/media/${fileId}/metadata`);
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual({ status: 404, message: 'File not found' });
      expect((await as(alice).get('/api/media/nope/metadata')).status).toBe(404);
      expect((await as(alice).get(`/api/media/${'x'.repeat(300)}/metadata`)).status).toBe(400);
      expect((await api(edge.url).get(`/api/media/${fileId}/metadata`)).status).toBe(401);
    });

    it('delete: a stranger gets 404, the other participant 403, the uploader deletes it from storage and records', async () => {
      const { fileId, url } = (await uploadPng(alice)).body.data;
      expect((await as(carol).post('/api/media/delete', { fileId })).status).toBe(404);
      const participant = await as(bob).post('/api/media/delete', { fileId });
      expect(participant.status).toBe(403);
      expect(participant.body.message).toBe('Only the uploader may delete this file');
      expect((await records({ fileId })).length).toBe(1);
      for (const body of [{ fileId: { $gt: '' } }, { fileId: '' }, {}, { fileId: ['a'] }, '{"fileId":']) {
        expect((await as(alice).post('/api/media/delete', body)).status).toBe(400);
      }
      const ok = await as(alice).post('/api/media/delete', { fileId });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ status: 200, message: 'File deleted successfully', success: true });
      expect((await records({ fileId })).length).toBe(0);
      expect((await fetch(url)).status).toBe(404);
      if (fake) expect(fake.files.has(fileId)).toBe(false);
      expect((await as(alice).get(`/api/media/${fileId}/metadata`)).status).toBe(404);
      expect((await as(alice).post('/api/media/delete', { fileId })).status).toBe(404);
    });

    it('media.file.check answers ok only for a file uploaded into that chat by that user, and not deleted', async () => {
      const uploaded = (await uploadPng(alice)).body.data;
      const check = (fileId: string, chat: string, userId: string) =>
        bus.request(mediaFileCheck, { fileId, chatId: chat, userId }, { userId });
      const ok = await check(uploaded.fileId, chatId, alice);
      expect(ok).toEqual({
        ok: true,
        media: {
          url: uploaded.url,
          fileId: uploaded.fileId,
          fileName: 'photo.png',
          fileSize: uploaded.fileSize,
          mimeType: 'image/png',
        },
      });
      expect(await check(uploaded.fileId, chatId, bob)).toEqual({ ok: false });
      expect(await check(uploaded.fileId, otherChatId, alice)).toEqual({ ok: false });
      expect(await check('someone-elses-file', chatId, alice)).toEqual({ ok: false });
      await expect(
        bus.request(mediaFileCheck, { fileId: uploaded.fileId, chatId, userId: alice }, {}),
      ).rejects.toMatchObject({ status: 401 });
      await as(alice).post('/api/media/delete', { fileId: uploaded.fileId });
      expect(await check(uploaded.fileId, chatId, alice)).toEqual({ ok: false });
    });

    if (kind === 'imagekit') {
      it('get-upload-token returns the ImageKit client-upload signature', async () => {
        const res = await as(alice).get('/api/media/get-upload-token');
        expect(res.status).toBe(200);
        const { token, expire, signature, publicKey, urlEndpoint } = res.body.data;
        expect(res.body).toMatchObject({ status: 200, message: 'Upload token generated', success: true });
        expect(publicKey).toBe(fake!.publicKey);
        expect(urlEndpoint).toBe(fake!.urlEndpoint);
        expect(expire).toBeGreaterThan(Date.now() / 1000);
        expect(signature).toBe(createHmac('sha1', fake!.privateKey).update(`${token}${expire}`).digest('hex'));
        expect((await api(edge.url).get('/api/media/get-upload-token')).status).toBe(401);
      });

      it('the ImageKit API was called with the private key, the way the SDK and our client do', () => {
        const paths = new Set(fake!.calls.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{24}/, ':id')}`));
        expect(paths).toContain('POST /api/v1/files/upload');
        expect(paths).toContain('GET /v1/files/:id/metadata');
        expect(paths).toContain('DELETE /v1/files/:id');
        expect(fake!.calls.filter((c) => c.status === 401)).toEqual([]);
      });

      it('when ImageKit refuses the key, an upload is 503 and a bulk upload reports 503 per file; nothing is recorded', async () => {
        const config = parseConfig(mediaConfigSchema, {
          ...infra.env,
          ...fake!.env,
          Image_Kit_Private_Key_Owner: 'not-the-key',
          MEDIA_STORAGE_DIR: storageDir,
          PORT: '0',
        });
        const service = await startMediaService(config, createLogger('media-test', 'silent'));
        try {
          const direct = api(`http://127.0.0.1:${service.port}`, tokenFor(alice));
          const before = (await records()).length;
          const single = await direct.post(
            '/api/media/upload-chat-media',
            form([
              ['chatId', chatId],
              ['file', fixtures.png(), 'a.png'],
            ]),
          );
          expect(single.status).toBe(503);
          expect(single.body).toEqual({ status: 503, message: 'Media storage is unavailable, try again' });
          const bulk = await direct.post(
            '/api/media/bulk-upload',
            form([
              ['chatId', chatId],
              ['files', fixtures.png(), 'a.png'],
              ['files', fixtures.pdf(), 'b.pdf'],
            ]),
          );
          expect(bulk.status).toBe(200);
          expect(bulk.body.summary).toEqual({ totalAttempted: 2, successful: 0, failed: 2 });
          expect(bulk.body.failed.map((f: { status: number }) => f.status)).toEqual([503, 503]);
          expect((await records()).length).toBe(before);
          expect(fake!.calls.filter((c) => c.status === 401).length).toBe(3);
          expect(tmpFiles()).toEqual([]);
        } finally {
          await service.close();
        }
      });
    } else {
      it('get-upload-token is 501 with a clear message without ImageKit', async () => {
        const res = await as(alice).get('/api/media/get-upload-token');
        expect(res.status).toBe(501);
        expect(res.body.message).toMatch(/ImageKit.*not configured/);
      });

      it('a served HTML or SVG file is downloaded as octet-stream, never rendered', async () => {
        for (const [bytes, name] of [
          [fixtures.html(), 'page.html'],
          [fixtures.svg(), 'logo.svg'],
        ] as const) {
          const up = await upload(alice, [
            ['chatId', chatId],
            ['file', bytes, name, name.endsWith('html') ? 'text/html' : 'image/svg+xml'],
          ]);
          expect(up.status).toBe(200);
          expect(up.body.data.messageType).toBe('file');
          const served = await fetch(up.body.data.url);
          expect(served.status).toBe(200);
          expect(served.headers.get('content-type')).toBe('application/octet-stream');
          expect(served.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="?${name}"?$`));
          expect(served.headers.get('x-content-type-options')).toBe('nosniff');
          expect(served.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
          expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
        }
      });

      it('local file names that are not ours, or whose record is gone, are 404', async () => {
        for (const name of [
          'short.png',
          `${'a'.repeat(32)}.png`,
          '..%2F..%2Fetc%2Fpasswd',
          `${'a'.repeat(32)}.png.html`,
        ]) {
          expect((await fetch(`${edge.url}/api/media/files/${name}`)).status).toBe(404);
        }
      });
    }
  });
}
