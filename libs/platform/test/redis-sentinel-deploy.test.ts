import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS_ACL_FILES, redisPasswordVariable, redisServiceUsers, renderRedisAcl } from '@chat/contracts';
import { redisFailoverAclRules } from '@chat/contracts';
import { createRedis, type Redis } from '@chat/platform';
import { freePort, restartableProcess, type RunningProcess } from '@chat/testkit';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The scripts compose and the chart run a Sentinel set with: deploy/redis/start.sh for both
 * nodes (the services' users plus `replication` and `sentinel`), by way of node.sh, which asks
 * the sentinels what the node is, and deploy/redis/sentinel.sh for three sentinels. They must
 * come together, fail over with the users they deploy, and rejoin as the sentinels say.
 */
describe('the deployed Sentinel set (deploy/redis node.sh, start.sh and sentinel.sh)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-deploy-'));
  const passwords = {
    ...Object.fromEntries(redisServiceUsers.map((u) => [redisPasswordVariable(u), `deployed-${u}`])),
    REDIS_PASSWORD_REPLICATION: 'deployed-replication',
    REDIS_PASSWORD_SENTINEL: 'deployed-sentinel-user',
  };
  const sentinelPassword = 'deployed-sentinels';
  let primary: RunningProcess;
  let replica: RunningProcess;
  let sentinels: RunningProcess[] = [];
  let client: Redis;

  // A replica writes the primary's snapshot to disk, and a node loads one at start: each its own.
  const ownDir = (name: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    return join(dir, name);
  };
  const printed: Record<string, string> = {};
  const spawnScript = (name: string, script: string, args: string[], env: Record<string, string>) => {
    const child = spawn('sh', [join(root, 'deploy/redis', script), ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    printed[name] = '';
    child.stderr?.on('data', (d: Buffer) => (printed[name] += d.toString()));
    return child;
  };
  let sentinelPorts: number[] = [];
  const sentinelList = () => sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',');
  // Both nodes by node.sh, as the chart runs them: the first primary is `primary`.
  const node = (name: string, port: number, firstPrimary: number) =>
    restartableProcess({
      port,
      url: `redis://127.0.0.1:${port}`,
      launch: () =>
        spawnScript(
          name,
          'node.sh',
          [
            ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'],
            ...['--dir', ownDir(name)],
          ],
          {
            ...passwords,
            REDIS_SELF: '127.0.0.1',
            REDIS_PORT: String(port),
            REDIS_FIRST_PRIMARY: `127.0.0.1:${firstPrimary}`,
            REDIS_SENTINELS: sentinelList(),
            REDIS_SENTINEL_PASSWORD: sentinelPassword,
            REDIS_ACL_TEMPLATE: join(root, REDIS_ACL_FILES[0]),
            REDIS_ACL_FILE: join(ownDir(name), 'users.acl'),
          },
        ),
    });
  const sentinel = (i: number, firstPrimary: number) =>
    restartableProcess({
      port: sentinelPorts[i]!,
      url: `redis://127.0.0.1:${sentinelPorts[i]!}`,
      launch: () =>
        spawnScript(`sentinel-${i}`, 'sentinel.sh', ['--bind', '127.0.0.1'], {
          REDIS_PRIMARY_HOST: '127.0.0.1',
          REDIS_PRIMARY_PORT: String(firstPrimary),
          REDIS_SENTINEL_PORT: String(sentinelPorts[i]!),
          REDIS_SENTINEL_PEERS: sentinelPorts
            .filter((_, j) => j !== i)
            .map((p) => `127.0.0.1:${p}`)
            .join(','),
          REDIS_SENTINEL_PASSWORD: sentinelPassword,
          REDIS_PASSWORD_SENTINEL: passwords.REDIS_PASSWORD_SENTINEL,
          REDIS_SENTINEL_DOWN_AFTER_MS: '1000',
          REDIS_SENTINEL_FAILOVER_TIMEOUT_MS: '5000',
          REDIS_SENTINEL_CONF: join(ownDir(`sentinel-${i}`), 'sentinel.conf'),
        }),
    });

  beforeAll(async () => {
    const [primaryPort, replicaPort, ...rest] = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    sentinelPorts = rest;
    // No sentinel answers yet: each node falls back to the first primary.
    primary = await node('primary', primaryPort!, primaryPort!);
    replica = await node('replica', replicaPort!, primaryPort!);
    sentinels = await Promise.all([0, 1, 2].map((i) => sentinel(i, primaryPort!)));
    client = createRedis(
      'redis://127.0.0.1:1',
      'deploy-test',
      { username: 'message-api', password: 'deployed-message-api' },
      {
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        name: 'chat-redis',
        password: sentinelPassword,
      },
    );
    client.on('error', () => undefined);
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await Promise.all([...sentinels, primary, replica].filter(Boolean).map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("ships the scripts it tests: the Helm chart's copies are the same", () => {
    for (const script of ['start.sh', 'node.sh', 'sentinel.sh'])
      expect(readFileSync(join(root, 'deploy/helm/chat-platform/files', `redis-${script}`), 'utf8')).toBe(
        readFileSync(join(root, 'deploy/redis', script), 'utf8'),
      );
  });

  it('loads the users of redisFailoverAclRules, passwords hashed', () => {
    const written = readFileSync(join(dir, 'primary', 'users.acl'), 'utf8');
    for (const [user, rules] of Object.entries(redisFailoverAclRules)) {
      const password =
        user === 'replication' ? passwords.REDIS_PASSWORD_REPLICATION : passwords.REDIS_PASSWORD_SENTINEL;
      const line = renderRedisAcl([{ user, password, rules }]).trim().split('\n').at(-1)!;
      expect(written.split('\n')).toContain(line.replace(`>${password}`, `#${sha256(password)}`));
      expect(written).not.toContain(password);
    }
  });

  it('serves a service through the sentinels, and goes on on the replica once the primary is SIGKILLed', async () => {
    const portOf = () => (client as unknown as { stream?: { remotePort?: number } }).stream?.remotePort;
    expect(await client.hset('chat-numbers:1', 'seq', '1')).toBe(1);
    expect(portOf()).toBe(primary.port);
    // The sentinels must know the replica (INFO of the primary) and each other (hello) before a failover can run.
    await untilReady(sentinels[0]!.port);
    await primary.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await client.hincrby('chat-numbers:1', 'seq', 1).then(
        () => true,
        () => false,
      );
      if (ok && portOf() === replica.port) break;
      if (Date.now() > deadline) throw new Error('no write reached the replica after the primary died');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Number(await client.hmget('chat-numbers:1', 'seq').then((v) => v[0]))).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('restarts a node and a sentinel after the failover as the sentinels say: the old primary comes back a replica, the sentinel watches the promoted node', async () => {
    await primary.restart();
    expect(printed.primary).toContain(`starting as a replica of 127.0.0.1 ${replica.port}`);
    const asSentinel = createRedis(primary.url, 'deploy-role', {
      username: 'sentinel',
      password: passwords.REDIS_PASSWORD_SENTINEL,
    });
    asSentinel.on('error', () => undefined);
    try {
      const [role, host, port] = (await asSentinel.call('ROLE')) as [string, string, number];
      expect([role, host, Number(port)]).toEqual(['slave', '127.0.0.1', replica.port]);
    } finally {
      asSentinel.disconnect();
    }
    await sentinels[0]!.kill('SIGKILL');
    await sentinels[0]!.restart();
    expect(printed['sentinel-0']).toContain(`watching chat-redis at 127.0.0.1 ${replica.port}`);
  }, 30_000);

  async function untilReady(sentinelPort: number): Promise<void> {
    const sentinel = createRedis(`redis://127.0.0.1:${sentinelPort}`, 'deploy-probe', { password: sentinelPassword });
    sentinel.on('error', () => undefined);
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', 'chat-redis')) as string[][];
        const peers = (await sentinel.call('SENTINEL', 'SENTINELS', 'chat-redis')) as unknown[];
        const linked = replicas.some((r) => r.join(' ').includes('master-link-status ok'));
        if (linked && peers.length === 2) return;
        if (Date.now() > deadline) throw new Error('the deployed sentinels did not come together');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      sentinel.disconnect();
    }
  }
});
