import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type Redis } from '@chat/platform';
import { REDIS_TEST_PASSWORD, startRedisServer, type RunningProcess } from '@chat/testkit';

describe('Redis with a password, as every environment runs it', () => {
  let server: RunningProcess;
  const clients: Redis[] = [];
  const client = (url: string, password?: string) => {
    const redis = createRedis(url, 'redis-test', password);
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  };
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server.stop();
  });

  it('refuses a client without the password', async () => {
    const bare = `redis://127.0.0.1:${server.port}`;
    await expect(client(bare).set('k', 'v')).rejects.toThrow(/NOAUTH|Authentication required/);
    await expect(client(bare, 'wrong-password').set('k', 'v')).rejects.toThrow(/WRONGPASS|invalid/i);
  });

  it('serves a client given the password as REDIS_PASSWORD or in REDIS_URL', async () => {
    expect(await client(`redis://127.0.0.1:${server.port}`, REDIS_TEST_PASSWORD).set('k', 'v')).toBe('OK');
    expect(await client(server.url).get('k')).toBe('v');
  });
});
