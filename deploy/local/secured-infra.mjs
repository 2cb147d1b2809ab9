// The local stack's NATS and Redis, secured as in production: NATS with one user per service
// (the subject permissions of libs/contracts, the same as deploy/nats/auth.conf) and Redis
// with one ACL user per service (its keys and channels: libs/contracts redis-acl.ts, the same
// as deploy/redis/users.acl), the `default` user off. Passwords are random for each
// `npm start` and reach only the services it starts. NATS_CLUSTER=3 runs three clustered NATS
// servers with every stream replicated on each, as production does; REDIS_SENTINEL=1 runs Redis as
// a Sentinel set (a primary, a replica and three sentinels). Each server is a child of
// `npm start`, stopped with it; JetStream keeps its store in .local/nats across starts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  natsPermissions,
  natsServiceUsers,
  redisAclRules,
  redisFailoverAclRules,
  redisServiceUsers,
  renderNatsServerConfig,
  renderRedisAcl,
} from '@chat/contracts';

const HOST = '127.0.0.1';
const secret = () => randomBytes(24).toString('hex');

function answers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function ensureFree(port, name) {
  if (await answers(port)) throw new Error(`port ${port} for ${name} is in use (a leftover server? see: ss -ltnp)`);
}

async function waitFor(port, name, child) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} (is port ${port} taken?)`);
    if (await answers(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} does not answer on ${HOST}:${port}`);
}

/**
 * Starts `size` NATS servers from `port` on (routes from `port + 1000`), returns the
 * environment the services share, each service's own NATS user, and `stop`.
 */
export async function startSecuredNats({ root, port, size }) {
  const passwords = Object.fromEntries(natsServiceUsers.map((user) => [user, secret()]));
  const users = natsServiceUsers.map((user) => ({
    user,
    password: passwords[user],
    permissions: natsPermissions[user],
  }));
  const ports = Array.from({ length: size }, (_, i) => port + i);
  const routes = ports.map((p) => `nats-route://${HOST}:${p + 1000}`);
  const children = [];
  for (const [i, p] of ports.entries()) {
    const dir = path.join(root, '.local/nats', size > 1 ? `n${i}` : 'single');
    mkdirSync(dir, { recursive: true });
    const conf = path.join(dir, 'nats.conf');
    const cluster = size > 1 ? { name: `n${i}`, routePort: p + 1000, routes } : undefined;
    writeFileSync(conf, renderNatsServerConfig({ port: p, storeDir: path.join(dir, 'js'), users, cluster }), {
      mode: 0o600,
    });
    await ensureFree(p, 'nats-server');
    // detached: a terminal's Ctrl-C reaches `npm start`, which stops the services first, then this.
    const child = spawn('nats-server', ['-c', conf, '-l', path.join(dir, 'nats.log')], {
      stdio: 'ignore',
      detached: true,
    });
    children.push(child);
    await waitFor(p, `nats-server ${i}`, child);
  }
  return {
    env: { NATS_URL: ports.map((p) => `nats://${HOST}:${p}`).join(','), NATS_STREAM_REPLICAS: String(size) },
    userEnv: (service) => (passwords[service] ? { NATS_USER: service, NATS_PASSWORD: passwords[service] } : {}),
    stop: () => children.forEach((c) => c.kill('SIGTERM')),
  };
}

/**
 * Starts redis-server on `port` with a random password per service's ACL user; nothing is
 * persisted. Returns the shared environment, each service's own Redis user, and `stop`.
 * `sentinel`: a Sentinel set instead (startSentinelRedis).
 */
export async function startSecuredRedis({ root, port, sentinel = false }) {
  const passwords = Object.fromEntries(redisServiceUsers.map((user) => [user, secret()]));
  const users = redisServiceUsers.map((user) => ({ user, password: passwords[user], rules: redisAclRules[user] }));
  const userEnv = (service) =>
    passwords[service] ? { REDIS_USERNAME: service, REDIS_PASSWORD: passwords[service] } : {};
  if (sentinel) return { ...(await startSentinelRedis({ root, port, users })), userEnv };
  await ensureFree(port, 'redis-server');
  const child = spawn('redis-server', ['-'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  // The users go in on stdin, not on the command line other users can read.
  child.stdin.end(`port ${port}\nbind ${HOST}\nsave ""\nappendonly no\n${renderRedisAcl(users)}`);
  await waitFor(port, 'redis-server', child);
  return {
    env: { REDIS_URL: `redis://${HOST}:${port}` },
    userEnv,
    stop: () => child.kill('SIGTERM'),
  };
}

const SENTINEL_NAME = 'chat-redis';

/**
 * REDIS_SENTINEL=1: a primary on `port`, its replica on `port + 1` and three sentinels on
 * `port + 20000` to `port + 20002` (26380-26382 by default), all on loopback, nothing persisted.
 * Both nodes carry the services' users plus `replication` and `sentinel` (redisFailoverAclRules
 * of libs/platform), so either may be the primary; the sentinels require a password of their
 * own, which every service gets as REDIS_SENTINEL_PASSWORD. Sentinel rewrites its file, so each
 * has one under .local/redis-sentinel, written afresh at every start. Kill the primary
 * (`kill $(ss -ltnpH 'sport = :6380' | grep -o 'pid=[0-9]*' | cut -d= -f2)`) and watch the
 * services carry on with the promoted replica.
 */
async function startSentinelRedis({ root, port, users }) {
  const replicationPassword = secret();
  const sentinelNodePassword = secret();
  const sentinelPassword = secret();
  const acl = renderRedisAcl([
    ...users,
    { user: 'replication', password: replicationPassword, rules: redisFailoverAclRules.replication },
    { user: 'sentinel', password: sentinelNodePassword, rules: redisFailoverAclRules.sentinel },
  ]);
  const sentinelPorts = [0, 1, 2].map((i) => port + 20_000 + i);
  for (const [p, name] of [
    [port, 'redis-server (primary)'],
    [port + 1, 'redis-server (replica)'],
    ...sentinelPorts.map((sp) => [sp, 'redis-sentinel']),
  ])
    await ensureFree(p, name);
  const children = [];
  const stop = () => children.forEach((c) => c.kill('SIGTERM'));
  const dir = path.join(root, '.local/redis-sentinel');
  try {
    for (const [p, replicaOf] of [[port], [port + 1, port]]) {
      // A replica writes the primary's snapshot to disk, and a node loads one at start: each its
      // own folder, emptied at every start (nothing is meant to persist).
      const nodeDir = path.join(dir, String(p));
      rmSync(nodeDir, { recursive: true, force: true });
      mkdirSync(nodeDir, { recursive: true });
      const child = spawn('redis-server', ['-'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      children.push(child);
      child.stdin.end(
        [
          `port ${p}`,
          `bind ${HOST}`,
          'save ""',
          'appendonly no',
          `dir ${nodeDir}`,
          'repl-diskless-sync-delay 0',
          'masteruser replication',
          `masterauth ${replicationPassword}`,
          ...(replicaOf ? [`replicaof ${HOST} ${replicaOf}`] : []),
          acl,
        ].join('\n'),
      );
      await waitFor(p, `redis-server ${replicaOf ? 'replica' : 'primary'}`, child);
    }
    for (const [i, p] of sentinelPorts.entries()) {
      const conf = path.join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${p}`,
          `bind ${HOST}`,
          `requirepass ${sentinelPassword}`,
          `sentinel sentinel-pass ${sentinelPassword}`,
          `sentinel monitor ${SENTINEL_NAME} ${HOST} ${port} 2`,
          `sentinel auth-user ${SENTINEL_NAME} sentinel`,
          `sentinel auth-pass ${SENTINEL_NAME} ${sentinelNodePassword}`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 5000`,
          `sentinel failover-timeout ${SENTINEL_NAME} 30000`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore', detached: true });
      children.push(child);
      await waitFor(p, `redis-sentinel ${i}`, child);
    }
  } catch (err) {
    stop();
    throw err;
  }
  return {
    env: {
      // The host is not used with sentinels; it names the first primary for whoever reads it.
      REDIS_URL: `redis://${HOST}:${port}`,
      REDIS_SENTINELS: sentinelPorts.map((p) => `${HOST}:${p}`).join(','),
      REDIS_SENTINEL_NAME: SENTINEL_NAME,
      REDIS_SENTINEL_PASSWORD: sentinelPassword,
    },
    stop,
  };
}
