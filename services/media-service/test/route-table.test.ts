import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Express } from 'express';

// The app media-service builds, kept as it is returned, to walk its real router stack.
const built = vi.hoisted(() => ({ apps: [] as Express[] }));
vi.mock('@chat/platform', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@chat/platform')>();
  return {
    ...actual,
    createHttpApp: (opts: Parameters<typeof actual.createHttpApp>[0]) => {
      const app = actual.createHttpApp(opts);
      built.apps.push(app);
      return app;
    },
  };
});

import { restRoutes } from '@chat/contracts';
import { createLogger, parseConfig } from '@chat/platform';
import { listRoutes, natsUserEnv, routeKey, startTestInfra, type TestInfra } from '@chat/testkit';
import { mediaConfigSchema, startMediaService, type RunningMediaService } from '../src/index.js';

describe('media-service and the route table of libs/contracts (the source of the OpenAPI description)', () => {
  let infra: TestInfra;
  let media: RunningMediaService;
  const storageDir = mkdtempSync(join(tmpdir(), 'media-routes-'));

  beforeAll(async () => {
    infra = await startTestInfra();
    const config = parseConfig(mediaConfigSchema, {
      ...infra.env,
      ...natsUserEnv('media-service'),
      MEDIA_STORAGE_DIR: storageDir,
      PORT: '0',
    });
    media = await startMediaService(config, createLogger('media-service', 'silent'));
  });

  afterAll(async () => {
    await media?.close();
    await infra?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('every /api route media-service serves is described, and every media-service route described is served', () => {
    expect(built.apps).toHaveLength(1);
    const served = listRoutes(built.apps[0]!.router)
      .filter((r) => r.path.startsWith('/api/'))
      .map(routeKey);
    const described = restRoutes.filter((r) => r.service === 'media-service').map(routeKey);
    expect(served.sort()).toEqual(described.sort());
  });
});
