import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Express } from 'express';
import { z } from 'zod';

// The app chat-api builds, kept as it is returned, to walk its real router stack.
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

import { chatHistoryQuery, chatListQuery, noQuery, restRoutes } from '@chat/contracts';
import { createLogger, parseConfig } from '@chat/platform';
import { listRoutes, natsUserEnv, routeKey, startTestInfra, type TestInfra } from '@chat/testkit';
import { chatApiConfigSchema, startChatApi, type RunningChatApi } from '../src/index.js';
import { emptyQuery, historyQuery, listQuery } from '../src/entry/http/schemas.js';

describe('chat-api and the route table of libs/contracts (the source of the OpenAPI description)', () => {
  let infra: TestInfra;
  let chatApi: RunningChatApi;

  beforeAll(async () => {
    infra = await startTestInfra();
    const config = parseConfig(chatApiConfigSchema, { ...infra.env, ...natsUserEnv('chat-api'), PORT: '0' });
    chatApi = await startChatApi(config, createLogger('chat-api', 'silent'));
  });

  afterAll(async () => {
    await chatApi?.close();
    await infra?.stop();
  });

  it('every /api route chat-api serves is described, and every chat-api route described is served', () => {
    expect(built.apps).toHaveLength(1);
    const served = listRoutes(built.apps[0]!.router)
      .filter((r) => r.path.startsWith('/api/'))
      .map(routeKey);
    const described = restRoutes.filter((r) => r.service === 'chat-api').map(routeKey);
    expect(served.sort()).toEqual(described.sort());
  });

  it('the route table describes the query schemas chat-api parses with', () => {
    const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input' });
    expect(json(chatListQuery)).toEqual(json(listQuery));
    expect(json(chatHistoryQuery)).toEqual(json(historyQuery));
    expect(json(noQuery)).toEqual(json(emptyQuery));
  });
});
