import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Express } from 'express';

// The app message-api builds, kept as it is returned, to walk its real router stack.
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
import { messageApiConfigSchema, startMessageApi, type RunningMessageApi } from '../src/index.js';

describe('message-api and the route table of libs/contracts (the source of the OpenAPI description)', () => {
  let infra: TestInfra;
  let messageApi: RunningMessageApi;

  beforeAll(async () => {
    infra = await startTestInfra();
    const config = parseConfig(messageApiConfigSchema, { ...infra.env, ...natsUserEnv('message-api'), PORT: '0' });
    messageApi = await startMessageApi(config, createLogger('message-api', 'silent'));
  });

  afterAll(async () => {
    await messageApi?.close();
    await infra?.stop();
  });

  it('every /api route message-api serves is described, and every message-api route described is served', () => {
    expect(built.apps).toHaveLength(1);
    const served = listRoutes(built.apps[0]!.router)
      .filter((r) => r.path.startsWith('/api/'))
      .map(routeKey);
    const described = restRoutes.filter((r) => r.service === 'message-api').map(routeKey);
    expect(served.sort()).toEqual(described.sort());
  });
});
