import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import notepack from 'notepack.io';
import {
  productionRedisUsers,
  REDIS_ACL_FILES,
  redisPasswordVariable,
  redisServiceUsers,
  renderRedisAcl,
  SOCKET_IO_ADAPTER_KEY,
  type RedisServiceUser,
} from '@chat/contracts';
import {
  connectSocket,
  freePort,
  nextEvent,
  noEvent,
  REDIS_TEST_CREDENTIALS,
  redisTestPassword,
  startRedisServer,
  stopProcess,
  waitForPort,
  type RunningProcess,
} from '@chat/testkit';
import { createRedis, type Redis } from '../src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A key each service owns (redisAclRules), to write as itself and to try as the others. */
const ownKey: Record<RedisServiceUser, string> = {
  'chat-api': 'chat-write:c1',
  'message-api': 'chat-numbers:c1',
  'realtime-gateway': 'typing:c1:u1',
};
/** Commands no service may run: flushing, reconfiguring, listing keys, watching or managing the server. */
const dangerous: string[][] = [
  ['FLUSHALL'],
  ['FLUSHDB'],
  ['CONFIG', 'GET', 'requirepass'],
  ['CONFIG', 'SET', 'maxmemory', '1'],
  ['KEYS', '*'],
  ['SCAN', '0'],
  ['ACL', 'LIST'],
  ['ACL', 'SETUSER', 'chat-api', 'allkeys', '+@all'],
  ['CLIENT', 'LIST'],
  ['CLIENT', 'KILL', 'TYPE', 'normal'],
  ['SCRIPT', 'FLUSH'],
  ['FUNCTION', 'FLUSH'],
  ['SAVE'],
  ['SHUTDOWN', 'NOSAVE'],
  ['MODULE', 'LIST'],
  ['REPLICAOF', '127.0.0.1', '1'],
];

/**
 * Redis as every environment runs it (redisAclRules): `default` off, each service its own user,
 * allowed only its own keys, channels and commands. Each refusal is checked against a control
 * that is allowed, so a test cannot pass because nothing works at all.
 */
describe('Redis ACL users: each service only its own keys, channels and commands', () => {
  let redis: RunningProcess;
  const open: Redis[] = [];
  const connect = (username: string, password: string) => {
    const client = createRedis(`redis://127.0.0.1:${redis.port}`, `acl-test-${username}`, { username, password });
    client.on('error', () => undefined);
    open.push(client);
    return client;
  };
  const as = (user: RedisServiceUser) => connect(user, redisTestPassword(user));
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'allowed',
      (err: Error) => err.message,
    );
  let test: Redis;

  beforeAll(async () => {
    redis = await startRedisServer();
    test = connect(REDIS_TEST_CREDENTIALS.username, REDIS_TEST_CREDENTIALS.password);
  });
  afterAll(async () => {
    for (const c of open) c.disconnect();
    await redis.stop();
  });

  it("lets each service write its own keys and refuses every other service's", async () => {
    for (const user of redisServiceUsers) {
      const client = as(user);
      expect(await client.set(ownKey[user], user), user).toBe('OK');
      for (const other of redisServiceUsers.filter((u) => u !== user)) {
        expect(await refusal(client.set(ownKey[other], 'forged')), `${user} writing ${ownKey[other]}`).toMatch(
          /NOPERM/,
        );
        expect(await refusal(client.del(ownKey[other])), `${user} deleting ${ownKey[other]}`).toMatch(/NOPERM/);
      }
      expect(await refusal(client.set('anything-else', 'x')), user).toMatch(/NOPERM/);
    }
    // Nothing was overwritten: each key still holds what its owner wrote.
    for (const user of redisServiceUsers) expect(await test.get(ownKey[user])).toBe(user);
  });

  it('checks a Lua script against its caller: a script cannot reach keys or commands its user may not', async () => {
    const gateway = as('realtime-gateway');
    const set = "return redis.call('set', KEYS[1], 'x')";
    expect(await gateway.eval(set, 1, 'presence:u:u1')).toBe('OK');
    expect(await refusal(gateway.eval(set, 1, ownKey['chat-api']))).toMatch(/NOPERM|can't access/);
    // A key the script names without declaring it is checked too.
    expect(await refusal(gateway.eval(`return redis.call('set', '${ownKey['message-api']}', 'x')`, 0))).toMatch(
      /can't access|NOPERM/,
    );
    expect(await refusal(as('message-api').eval("return redis.call('flushall')", 0))).toMatch(/can't run|NOPERM/);
    expect(await test.get(ownKey['message-api'])).toBe('message-api');
  });

  it('refuses dangerous commands to every service (the test user, allowed everything, is the control)', async () => {
    for (const user of redisServiceUsers) {
      const client = as(user);
      for (const command of dangerous) {
        const [name, ...args] = command as [string, ...string[]];
        expect(await refusal(client.call(name, ...args)), `${user}: ${command.join(' ')}`).toMatch(/NOPERM/);
      }
    }
    expect(await test.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', '0']);
    expect(await test.keys('*')).toContain(ownKey['chat-api']);
    expect(await test.get(ownKey['chat-api'])).toBe('chat-api');
  });

  it("lets only the gateway publish or listen on the Socket.IO adapter's channels", async () => {
    const channel = `${SOCKET_IO_ADAPTER_KEY}#/#chat:x#`;
    for (const user of ['chat-api', 'message-api'] as const) {
      expect(await refusal(as(user).publish(channel, 'forged')), user).toMatch(/NOPERM/);
      expect(await refusal(as(user).publish('any-channel', 'x')), user).toMatch(/NOPERM/);
      const eavesdropper = as(user).duplicate();
      eavesdropper.on('error', () => undefined);
      open.push(eavesdropper);
      expect(await refusal(eavesdropper.psubscribe(`${SOCKET_IO_ADAPTER_KEY}#/#*`)), user).toMatch(/NOPERM/);
    }
    expect(await as('realtime-gateway').publish(channel, 'ok')).toBe(0);
    expect(await refusal(as('realtime-gateway').publish('other-channel', 'x'))).toMatch(/NOPERM/);
  });

  it('keeps a forged message_received from reaching sockets through the adapter (a gateway node is the control)', async () => {
    // A gateway node as realtime-gateway runs it: Socket.IO with the Redis adapter, logged in as the gateway.
    const gateway = as('realtime-gateway');
    const [pub, sub] = [gateway.duplicate(), gateway.duplicate()];
    open.push(pub, sub);
    const io = new Server(createServer(), { transports: ['websocket'] });
    io.adapter(createAdapter(pub, sub, { key: SOCKET_IO_ADAPTER_KEY }));
    io.on('connection', (socket) => void socket.join('chat:x'));
    const http = io.httpServer.listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    const socket = await connectSocket(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, undefined);
    try {
      // The adapter's own wire format: [sender uid, packet, options] on <key>#/#<room>#.
      const forged = notepack.encode([
        'another-node',
        { type: 2, nsp: '/', data: ['message_received', { chatId: 'x', content: 'forged' }] },
        { rooms: ['chat:x'], except: [], flags: {} },
      ]);
      const channel = `${SOCKET_IO_ADAPTER_KEY}#/#chat:x#`;
      await new Promise((r) => setTimeout(r, 200)); // the socket has joined its room
      const quiet = noEvent(socket, 'message_received', 500);
      expect(await refusal(as('message-api').publish(channel, forged))).toMatch(/NOPERM/);
      expect(await quiet).toBe(true);
      // The same bytes from the gateway's user do arrive: the refusal above is what stopped them.
      const heard = nextEvent(socket, 'message_received', 3_000);
      await as('realtime-gateway').publish(channel, forged);
      expect(await heard).toEqual({ chatId: 'x', content: 'forged' });
    } finally {
      socket.close();
      await new Promise((r) => io.close(r));
    }
  });

  it('ships the users it tests: each deployed copy of the ACL is rendered from redisAclRules, and start.sh serves it', async () => {
    const rendered = renderRedisAcl(productionRedisUsers());
    for (const file of REDIS_ACL_FILES) {
      expect(readFileSync(root + file, 'utf8'), `${file} is out of date: node deploy/redis/render-acl.mjs`).toBe(
        rendered,
      );
    }
    const script = readFileSync(root + 'deploy/redis/start.sh', 'utf8');
    expect(readFileSync(root + 'deploy/helm/chat-platform/files/redis-start.sh', 'utf8')).toBe(script);
    // start.sh as the containers run it, on this machine's redis-server.
    const dir = mkdtempSync(join(tmpdir(), 'redis-start-'));
    const port = await freePort();
    const passwords = Object.fromEntries(redisServiceUsers.map((u) => [redisPasswordVariable(u), `deployed-${u}`]));
    const child = spawn(
      'sh',
      [
        root + 'deploy/redis/start.sh',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      {
        env: {
          PATH: process.env.PATH,
          ...passwords,
          REDIS_ACL_TEMPLATE: root + REDIS_ACL_FILES[0],
          REDIS_ACL_FILE: join(dir, 'users.acl'),
        },
        stdio: 'ignore',
      },
    );
    try {
      await waitForPort(port, '127.0.0.1', 10_000);
      const written = readFileSync(join(dir, 'users.acl'), 'utf8');
      for (const password of Object.values(passwords)) expect(written).not.toContain(password); // hashes only
      const deployed = (username: string, password: string) => {
        const c = createRedis(`redis://127.0.0.1:${port}`, 'start-sh', { username, password });
        c.on('error', () => undefined);
        open.push(c);
        return c;
      };
      expect(await deployed('chat-api', 'deployed-chat-api').set('chat-write:1', 'x')).toBe('OK');
      expect(await refusal(deployed('chat-api', 'deployed-chat-api').set('presence:users', 'x'))).toMatch(/NOPERM/);
      expect(await refusal(deployed('chat-api', 'deployed-message-api').ping())).toMatch(/WRONGPASS/);
      const probe = execFileSync(
        'redis-cli',
        ['-p', String(port), '--user', 'probe', '--pass', 'any', '--no-auth-warning', 'PING'],
        {
          encoding: 'utf8',
        },
      );
      expect(probe.trim()).toBe('PONG');
      expect(await refusal(createRedisNoAuth(port, open).ping())).toMatch(/NOAUTH/);
    } finally {
      await stopProcess(child);
    }
  });

  it('refuses to start when a password is missing', () => {
    const run = () =>
      execFileSync('sh', [root + 'deploy/redis/start.sh', '--port', '1'], {
        env: {
          PATH: process.env.PATH,
          REDIS_ACL_TEMPLATE: root + REDIS_ACL_FILES[0],
          REDIS_ACL_FILE: join(tmpdir(), 'x.acl'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
    expect(run).toThrow(/REDIS_PASSWORD_CHAT_API is not set/);
  });
});

function createRedisNoAuth(port: number, open: Redis[]): Redis {
  const c = createRedis(`redis://127.0.0.1:${port}`, 'no-auth');
  c.on('error', () => undefined);
  open.push(c);
  return c;
}
