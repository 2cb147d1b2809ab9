import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageDelete } from '@chat/contracts';
// The ImageKit stand-in of media-service's tests (a test double, not product code).
import { startImageKitFake, type ImageKitFake } from '../../media-service/test/support/imagekit-fake.js';
import { sendUploadedImage, startWorld, type World } from './harness.js';

let fake: ImageKitFake;
let w: World;

beforeAll(async () => {
  fake = await startImageKitFake();
  w = await startWorld({ env: { TEXT_ERASE_RETRY_MS: '200' }, mediaEnv: fake.env });
});
afterAll(async () => {
  await w?.stop();
  await fake?.close();
});

describe('a media message on ImageKit deleted for everyone', () => {
  it('has its file deleted from ImageKit and purged from its CDN: its URL answers 404', async () => {
    const [alice, bob] = [w.newUser(), w.newUser()];
    const chatId = await w.chat(alice, bob);
    const { file, media } = await sendUploadedImage(w, alice, chatId);
    expect(file.url.startsWith(fake.urlEndpoint)).toBe(true);
    expect((await fetch(file.url)).status).toBe(200);

    await w.command(messageDelete, alice, { chatId, messageId: media.messageId });

    await expect.poll(async () => (await fetch(file.url)).status, { timeout: 15_000 }).toBe(404);
    expect(fake.files.has(file.fileId)).toBe(false);
    expect(fake.calls).toContainEqual({ method: 'DELETE', path: `/v1/files/${file.fileId}`, status: 204 });
    // The CDN had served it (above): without the purge it would go on serving it.
    expect(fake.calls).toContainEqual({ method: 'POST', path: '/v1/files/purge', status: 201 });
  });
});
