import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, expect } from 'vitest';
import { Bus, createLogger } from '@chat/platform';
import {
  api,
  freePort,
  newUserId,
  spawnService,
  startTestInfra,
  tokenFor,
  type SpawnedService,
  type TestInfra,
  NATS_TEST_CREDENTIALS,
} from '@chat/testkit';
import { fixtures } from './fixtures.js';
import { startImageKitFake, type ImageKitFake } from './imagekit-fake.js';
import { form } from './multipart.js';

export const MB = 1024 * 1024;

/**
 * One storage's world for the media end-to-end suite: its own NATS, Redis and database, the
 * real chat-api, media-service (local storage, or ImageKit through the fake) and the edge in
 * front, a chat between alice and bob, one between carol and dave, and helpers to look at
 * what was stored. Fields are filled in `beforeAll`.
 */
export class MediaWorld {
  infra!: TestInfra;
  fake: ImageKitFake | undefined;
  chatApi!: SpawnedService;
  media!: SpawnedService;
  edge!: SpawnedService;
  /** A temporary folder holding the storage folder. */
  root!: string;
  storageDir!: string;
  db!: mongoose.Connection;
  bus!: Bus;
  readonly alice = newUserId();
  readonly bob = newUserId();
  readonly carol = newUserId();
  readonly dave = newUserId();
  /** alice <-> bob */
  chatId!: string;
  /** carol <-> dave */
  otherChatId!: string;

  constructor(readonly kind: 'local' | 'imagekit') {}

  as = (user: string) => api(this.edge.url, tokenFor(user));
  /** Uploads still staged (should be none once a request is answered). */
  tmpFiles = () => readdirSync(join(this.storageDir, 'tmp'));
  /** Stored file records matching `filter` (lead it with `fileId` or `uploaderId`: other lookups scan on FerretDB). */
  records = (filter: Record<string, unknown>) => this.db.collection('media_files').find(filter).toArray();
  /** Every record uploaded by this world's users. */
  allRecords = async () =>
    (
      await Promise.all([this.alice, this.bob, this.carol, this.dave].map((u) => this.records({ uploaderId: u })))
    ).flat();
  upload = (user: string, parts: Parameters<typeof form>[0]) =>
    this.as(user).post('/api/media/upload-chat-media', form(parts));
  uploadPng = (user = this.alice, chat = this.chatId, name = 'photo.png') =>
    this.upload(user, [
      ['chatId', chat],
      ['file', fixtures.png(), name, 'image/png'],
    ]);
  /** media-service's resident memory, from its /metrics. */
  rss = async () => {
    const text = await (await fetch(`${this.media.url}/metrics`)).text();
    return Number(/^process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1]);
  };
}

/**
 * Registers the world's beforeAll / afterAll in the current describe block; `mediaEnv` adds
 * media-service settings (smaller limits, say) for a suite that needs them.
 */
export function useMediaWorld(kind: 'local' | 'imagekit', mediaEnv: Record<string, string> = {}): MediaWorld {
  const w = new MediaWorld(kind);
  beforeAll(async () => {
    w.infra = await startTestInfra();
    // Shaped like the default (.local/media): a storage folder below a dot-folder must serve too.
    w.root = mkdtempSync(join(tmpdir(), 'media-test-'));
    w.storageDir = join(w.root, '.local', 'media');
    mkdirSync(w.storageDir, { recursive: true });
    if (kind === 'imagekit') w.fake = await startImageKitFake();
    const edgePort = await freePort();
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    [w.chatApi, w.media] = await Promise.all([
      spawnService('chat-api', w.infra.env),
      spawnService('media-service', {
        ...w.infra.env,
        LOG_LEVEL: 'info',
        MEDIA_STORAGE_DIR: w.storageDir,
        MEDIA_PUBLIC_URL: edgeUrl,
        ...(w.fake?.env ?? {}),
        ...mediaEnv,
      }),
    ]);
    w.edge = await spawnService(
      'edge',
      {
        ...w.infra.env,
        CHAT_API_URL: w.chatApi.url,
        MEDIA_SERVICE_URL: w.media.url,
        MESSAGE_API_URL: 'http://127.0.0.1:9',
      },
      { port: edgePort },
    );
    w.db = await mongoose.createConnection(w.infra.mongoUrl).asPromise();
    w.bus = await Bus.connect({
      credentials: NATS_TEST_CREDENTIALS,
      url: w.infra.natsUrl,
      name: 'media-test',
      logger: createLogger('test', 'silent'),
      timeoutMs: 3000,
    });
    const created = await w.as(w.alice).post('/api/chats/or-create', { recipientId: w.bob });
    expect(created.status).toBe(201);
    w.chatId = created.body.data._id;
    w.otherChatId = (await w.as(w.carol).post('/api/chats/or-create', { recipientId: w.dave })).body.data._id;
  });
  afterAll(async () => {
    await w.bus?.drain();
    await w.db?.close();
    await Promise.all([w.edge?.stop(), w.media?.stop(), w.chatApi?.stop()]);
    await w.fake?.close();
    await w.infra?.stop();
    if (w.root) rmSync(w.root, { recursive: true, force: true });
  });
  return w;
}
