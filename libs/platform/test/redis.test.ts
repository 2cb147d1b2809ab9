import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisCredentials, type Redis } from '@chat/platform';
import { REDIS_TEST_CREDENTIALS, redisTestPassword, startRedisServer, type RunningProcess } from '@chat/testkit';

describe('Redis with ACL users, as every environment runs it', () => {
  let server: RunningProcess;
  const clients: Redis[] = [];
  const client = (url: string, credentials?: RedisCredentials) => {
    const redis = createRedis(url, 'redis-test', credentials);
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  };
  const bare = () => `redis://127.0.0.1:${server.port}`;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server.stop();
  });

  it('refuses a client without a user, with a wrong password, or with the password alone (`default` is off)', async () => {
    await expect(client(bare()).set('k', 'v')).rejects.toThrow(/NOAUTH|Authentication required/);
    await expect(client(bare(), { username: 'chat-api', password: 'wrong' }).get('chat-write:x')).rejects.toThrow(
      /WRONGPASS|invalid/i,
    );
    await expect(client(bare(), { password: redisTestPassword('chat-api') }).get('chat-write:x')).rejects.toThrow(
      /WRONGPASS|invalid/i,
    );
  });

  it('serves a client given its user as REDIS_USERNAME / REDIS_PASSWORD or in REDIS_URL', async () => {
    expect(await client(bare(), REDIS_TEST_CREDENTIALS).set('k', 'v')).toBe('OK');
    expect(await client(server.url).get('k')).toBe('v');
    const chatApi = { username: 'chat-api', password: redisTestPassword('chat-api') };
    expect(await client(bare(), chatApi).set('chat-write:k', 'v')).toBe('OK');
  });

  it('logs in with the credentials given over those in REDIS_URL (a shared URL, a user per service)', async () => {
    const chatApi = client(server.url, { username: 'chat-api', password: redisTestPassword('chat-api') });
    expect(await chatApi.get('chat-write:k')).toBe('v');
    await expect(chatApi.get('k')).rejects.toThrow(/NOPERM/);
  });
});
