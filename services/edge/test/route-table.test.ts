import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Express } from 'express';

// Every app a service builds, kept as it is returned, to walk its real router stack.
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

import { restRoutes, type RestRoute } from '@chat/contracts';
import { createLogger, parseConfig, type Logger } from '@chat/platform';
import { freePort, listRoutes, serviceUserEnv, routeKey, startTestInfra, type TestInfra } from '@chat/testkit';
import { chatApiConfigSchema, startChatApi } from '../../chat-api/src/index.js';
import { mediaConfigSchema, startMediaService } from '../../media-service/src/index.js';
import { messageApiConfigSchema, startMessageApi } from '../../message-api/src/index.js';
import { edgeConfigSchema } from '../src/config.js';
import { startEdge } from '../src/app.js';

type Started = { close(): Promise<void> };
const quiet = (name: string): Logger => createLogger(name, 'silent');

/** How each service of the route table is started here, with the settings it needs. */
const services: Record<RestRoute['service'], (env: Record<string, string>) => Promise<Started>> = {
  'chat-api': (env) =>
    startChatApi(parseConfig(chatApiConfigSchema, { ...env, ...serviceUserEnv('chat-api') }), quiet('chat-api')),
  'message-api': (env) =>
    startMessageApi(
      parseConfig(messageApiConfigSchema, { ...env, ...serviceUserEnv('message-api') }),
      quiet('message-api'),
    ),
  'media-service': (env) =>
    startMediaService(
      parseConfig(mediaConfigSchema, { ...env, ...serviceUserEnv('media-service'), MEDIA_STORAGE_DIR: storageDir }),
      quiet('media-service'),
    ),
  edge: async () => {
    // Nothing listens upstream: only the edge's own routes are walked.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const settings = { CHAT_API_URL: nowhere, MESSAGE_API_URL: nowhere, MEDIA_SERVICE_URL: nowhere };
    return startEdge(
      parseConfig(edgeConfigSchema, { ...settings, PORT: '0', METRICS_PORT: '0', GATEWAY_NODES: `gw1=${nowhere}` }),
      quiet('edge'),
    );
  },
};
const storageDir = mkdtempSync(join(tmpdir(), 'route-table-'));

describe('the route table of libs/contracts (the source of the OpenAPI description) against the real routers', () => {
  let infra: TestInfra;

  beforeAll(async () => {
    infra = await startTestInfra();
  });

  afterAll(async () => {
    await infra?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it.each(Object.keys(services) as RestRoute['service'][])(
    'every /api route %s serves is described, and every route described for it is served',
    async (service) => {
      const before = built.apps.length;
      const running = await services[service]({ ...infra.env, PORT: '0' });
      try {
        expect(built.apps).toHaveLength(before + 1);
        const served = listRoutes(built.apps[before]!.router)
          .filter((r) => r.path.startsWith('/api/'))
          .map(routeKey);
        const described = restRoutes.filter((r) => r.service === service).map(routeKey);
        expect(served.sort()).toEqual(described.sort());
      } finally {
        await running.close();
      }
    },
    60_000,
  );
});
