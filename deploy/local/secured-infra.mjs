// The local stack's NATS and Redis, secured as in production: NATS with one user per service
// (the subject permissions of libs/contracts, the same as deploy/nats/auth.conf) and Redis
// with one ACL user per service (its keys and channels: libs/contracts redis-acl.ts, the same
// as deploy/redis/users.acl), the `default` user off. Passwords are random for each
// `npm start` and reach only the services it starts. NATS_CLUSTER=3 runs three clustered NATS
// servers with every stream replicated on each, as production does. Each server is a child of `npm start`, stopped with it; JetStream
// keeps its store in .local/nats across starts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  natsPermissions,
  natsServiceUsers,
  redisAclRules,
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
 */
export async function startSecuredRedis({ port }) {
  const passwords = Object.fromEntries(redisServiceUsers.map((user) => [user, secret()]));
  const users = redisServiceUsers.map((user) => ({ user, password: passwords[user], rules: redisAclRules[user] }));
  await ensureFree(port, 'redis-server');
  const child = spawn('redis-server', ['-'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  // The users go in on stdin, not on the command line other users can read.
  child.stdin.end(`port ${port}\nbind ${HOST}\nsave ""\nappendonly no\n${renderRedisAcl(users)}`);
  await waitFor(port, 'redis-server', child);
  return {
    env: { REDIS_URL: `redis://${HOST}:${port}` },
    userEnv: (service) => (passwords[service] ? { REDIS_USERNAME: service, REDIS_PASSWORD: passwords[service] } : {}),
    stop: () => child.kill('SIGTERM'),
  };
}
