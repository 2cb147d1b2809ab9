import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, newUserId, spawnService, startTestInfra, tokenFor, type SpawnedService, type TestInfra } from '@chat/testkit';

describe('REST rate limit through the edge', () => {
  let infra: TestInfra;
  let chatApi: SpawnedService;
  let edge: SpawnedService;

  beforeAll(async () => {
    infra = await startTestInfra();
    chatApi = await spawnService('chat-api', { ...infra.env, HTTP_RATE_LIMIT_POINTS: '3', HTTP_RATE_LIMIT_WINDOW_S: '60' });
    edge = await spawnService('edge', { ...infra.env, CHAT_API_URL: chatApi.url });
  });
  afterAll(async () => {
    await edge?.stop();
    await chatApi?.stop();
    await infra?.stop();
  });

  it('a user past the limit gets 429 with Retry-After and creates nothing more; others are unaffected', async () => {
    const alice = api(edge.url, tokenFor(newUserId()));
    for (let i = 0; i < 3; i++) expect((await alice.get('/api/chats/requests')).status).toBe(200);
    const recipientId = newUserId();
    const limited = await alice.post('/api/chats/or-create', { recipientId });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.body.status).toBe(429);
    // The recipient has their own budget, and the refused request reached nobody.
    const requests = await api(edge.url, tokenFor(recipientId)).get('/api/chats/requests');
    expect(requests.status).toBe(200);
    expect(requests.body.data).toEqual([]);
  });
});
