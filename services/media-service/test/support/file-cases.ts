import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { mediaFileCheck } from '@chat/contracts';
import { createLogger, parseConfig } from '@chat/platform';
import { serviceUserEnv, api, tokenFor } from '@chat/testkit';
import { startMediaService } from '../../src/app.js';
import { mediaConfigSchema } from '../../src/config.js';
import { fixtures } from './fixtures.js';
import { form } from './multipart.js';
import type { MediaWorld } from './media-world.js';

/** Endpoints 16-18, media.file.check, the stored objects and how local files are served. */
export function fileCases(w: MediaWorld) {
  it('metadata: the uploader and the other participant get it; a stranger and an unknown id get 404', async () => {
    const { fileId } = (await w.uploadPng(w.alice)).body.data;
    const mine = await w.as(w.alice).get(`/api/media/${fileId}/metadata`);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ status: 200, message: 'Metadata retrieved', success: true });
    expect(mine.body.data).toMatchObject({
      fileId,
      chatId: w.chatId,
      uploadedBy: w.alice,
      mimeType: 'image/png',
      messageType: 'image',
      storage: w.kind,
    });
    if (w.kind === 'imagekit') expect(mine.body.data).toMatchObject({ width: 2, height: 2, pHash: expect.any(String) });
    expect((await w.as(w.bob).get(`/api/media/${fileId}/metadata`)).status).toBe(200);
    const stranger = await w.as(w.carol).get(`/api/media/${fileId}/metadata`);
    expect(stranger.status).toBe(404);
    expect(stranger.body).toEqual({ status: 404, message: 'File not found' });
    expect((await w.as(w.alice).get('/api/media/nope/metadata')).status).toBe(404);
    expect((await w.as(w.alice).get(`/api/media/${'x'.repeat(300)}/metadata`)).status).toBe(400);
    expect((await api(w.edge.url).get(`/api/media/${fileId}/metadata`)).status).toBe(401);
  });

  it('metadata of a non-media file: ImageKit file details, or the local file facts', async () => {
    const pdf = fixtures.pdf();
    const up = await w.upload(w.bob, [
      ['chatId', w.chatId],
      ['file', pdf, 'notes.pdf'],
    ]);
    const res = await w.as(w.alice).get(`/api/media/${up.body.data.fileId}/metadata`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      fileName: 'notes.pdf',
      fileSize: pdf.length,
      mimeType: 'application/pdf',
      uploadedBy: w.bob,
    });
    if (w.kind === 'imagekit')
      expect(res.body.data).toMatchObject({ type: 'file', fileType: 'non-image', size: pdf.length });
    else expect(res.body.data).toMatchObject({ format: 'pdf', size: pdf.length });
  });

  it('delete: a stranger gets 404, the other participant 403, the uploader deletes it from storage and records', async () => {
    const { fileId, url } = (await w.uploadPng(w.alice)).body.data;
    expect((await w.as(w.carol).post('/api/media/delete', { fileId })).status).toBe(404);
    const participant = await w.as(w.bob).post('/api/media/delete', { fileId });
    expect(participant.status).toBe(403);
    expect(participant.body.message).toBe('Only the uploader may delete this file');
    expect((await w.records({ fileId })).length).toBe(1);
    for (const body of [{ fileId: { $gt: '' } }, { fileId: '' }, {}, { fileId: ['a'] }, '{"fileId":']) {
      expect((await w.as(w.alice).post('/api/media/delete', body)).status).toBe(400);
    }
    const ok = await w.as(w.alice).post('/api/media/delete', { fileId });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 200, message: 'File deleted successfully', success: true });
    expect((await w.records({ fileId })).length).toBe(0);
    expect((await fetch(url)).status).toBe(404);
    if (w.fake) expect(w.fake.files.has(fileId)).toBe(false);
    expect((await w.as(w.alice).get(`/api/media/${fileId}/metadata`)).status).toBe(404);
    expect((await w.as(w.alice).post('/api/media/delete', { fileId })).status).toBe(404);
  });

  it('media.file.check answers ok only for a file uploaded into that chat by that user, and not deleted', async () => {
    const uploaded = (await w.uploadPng(w.alice)).body.data;
    const check = (fileId: string, chat: string, userId: string) =>
      w.bus.request(mediaFileCheck, { fileId, chatId: chat, userId }, { userId });
    const ok = await check(uploaded.fileId, w.chatId, w.alice);
    expect(ok).toEqual({
      ok: true,
      media: {
        url: uploaded.url,
        fileId: uploaded.fileId,
        fileName: 'photo.png',
        fileSize: uploaded.fileSize,
        mimeType: 'image/png',
      },
      messageType: 'image',
    });
    expect(await check(uploaded.fileId, w.chatId, w.bob)).toEqual({ ok: false });
    expect(await check(uploaded.fileId, w.otherChatId, w.alice)).toEqual({ ok: false });
    expect(await check('someone-elses-file', w.chatId, w.alice)).toEqual({ ok: false });
    await expect(
      w.bus.request(mediaFileCheck, { fileId: uploaded.fileId, chatId: w.chatId, userId: w.alice }, {}),
    ).rejects.toMatchObject({ status: 401 });
    await w.as(w.alice).post('/api/media/delete', { fileId: uploaded.fileId });
    expect(await check(uploaded.fileId, w.chatId, w.alice)).toEqual({ ok: false });
  });

  if (w.kind === 'imagekit') {
    it('get-upload-token returns the ImageKit client-upload signature', async () => {
      const res = await w.as(w.alice).get('/api/media/get-upload-token');
      expect(res.status).toBe(200);
      const { token, expire, signature, publicKey, urlEndpoint } = res.body.data;
      expect(res.body).toMatchObject({ status: 200, message: 'Upload token generated', success: true });
      expect(publicKey).toBe(w.fake!.publicKey);
      expect(urlEndpoint).toBe(w.fake!.urlEndpoint);
      expect(expire).toBeGreaterThan(Date.now() / 1000);
      expect(signature).toBe(createHmac('sha1', w.fake!.privateKey).update(`${token}${expire}`).digest('hex'));
      expect((await api(w.edge.url).get('/api/media/get-upload-token')).status).toBe(401);
    });

    it('get-upload-token gives one user a few signatures a minute (429 with Retry-After past them), others theirs', async () => {
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push((await w.as(w.dave).get('/api/media/get-upload-token')).status);
      expect(answers.filter((s) => s === 200)).toHaveLength(10);
      const limited = await w.as(w.dave).get('/api/media/get-upload-token');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await w.as(w.carol).get('/api/media/get-upload-token')).status).toBe(200);
    });

    it('the ImageKit API was called with the private key, the way the SDK and our client do', () => {
      const paths = new Set(w.fake!.calls.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{24}/, ':id')}`));
      expect(paths).toContain('POST /api/v1/files/upload');
      expect(paths).toContain('GET /v1/files/:id/metadata');
      expect(paths).toContain('DELETE /v1/files/:id');
      expect(paths).toContain('POST /v1/files/purge');
      expect(w.fake!.calls.filter((c) => c.status === 401)).toEqual([]);
    });

    it('when ImageKit refuses the key, an upload is 503 and a bulk upload reports 503 per file; nothing is recorded', async () => {
      const config = parseConfig(mediaConfigSchema, {
        ...w.infra.env,
        ...serviceUserEnv('media-service'),
        ...w.fake!.env,
        Image_Kit_Private_Key_Owner: 'not-the-key',
        MEDIA_STORAGE_DIR: w.storageDir,
        PORT: '0',
      });
      const service = await startMediaService(config, createLogger('media-test', 'silent'));
      try {
        const direct = api(`http://127.0.0.1:${service.port}`, tokenFor(w.alice));
        const before = (await w.allRecords()).length;
        const single = await direct.post(
          '/api/media/upload-chat-media',
          form([
            ['chatId', w.chatId],
            ['file', fixtures.png(), 'a.png'],
          ]),
        );
        expect(single.status).toBe(503);
        expect(single.body).toEqual({ status: 503, message: 'Media storage is unavailable, try again' });
        const bulk = await direct.post(
          '/api/media/bulk-upload',
          form([
            ['chatId', w.chatId],
            ['files', fixtures.png(), 'a.png'],
            ['files', fixtures.pdf(), 'b.pdf'],
          ]),
        );
        expect(bulk.status).toBe(200);
        expect(bulk.body.summary).toEqual({ totalAttempted: 2, successful: 0, failed: 2 });
        expect(bulk.body.failed.map((f: { status: number }) => f.status)).toEqual([503, 503]);
        expect((await w.allRecords()).length).toBe(before);
        expect(w.fake!.calls.filter((c) => c.status === 401).length).toBe(3);
        expect(w.tmpFiles()).toEqual([]);
      } finally {
        await service.close();
      }
    });

    it('files go to ImageKit under a random name with the detected type’s extension, never the client’s', async () => {
      for (const [bytes, name, stored] of [
        [fixtures.png(), 'holiday photo.png', /^[0-9a-f]{32}\.png$/],
        [fixtures.html(), 'page.html', /^[0-9a-f]{32}\.bin$/],
        [fixtures.svg(), 'logo.svg', /^[0-9a-f]{32}\.bin$/],
        [fixtures.png(), 'fake.html', /^[0-9a-f]{32}\.png$/],
      ] as const) {
        const up = await w.upload(w.alice, [
          ['chatId', w.chatId],
          ['file', bytes, name],
        ]);
        expect(up.status).toBe(200);
        expect(w.fake!.files.get(up.body.data.fileId)?.name).toMatch(stored);
        expect(up.body.data.fileName).toBe(name); // the original name stays ours to show
      }
    });
  } else {
    it('get-upload-token is 501 with a clear message without ImageKit', async () => {
      const res = await w.as(w.alice).get('/api/media/get-upload-token');
      expect(res.status).toBe(501);
      expect(res.body.message).toMatch(/ImageKit.*not configured/);
    });

    it('a served HTML or SVG file is downloaded as octet-stream, never rendered', async () => {
      for (const [bytes, name] of [
        [fixtures.html(), 'page.html'],
        [fixtures.svg(), 'logo.svg'],
      ] as const) {
        const up = await w.upload(w.alice, [
          ['chatId', w.chatId],
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
        expect((await fetch(`${w.edge.url}/api/media/files/${name}`)).status).toBe(404);
      }
    });
  }
}
