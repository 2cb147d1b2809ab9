// Runs the whole platform on this machine without Docker: infrastructure through
// infra-up.sh, then every service from its dist/ (one process each, output prefixed with
// its name), and waits until each /readyz answers 200. `npm start` builds, then runs this.
// Ctrl-C / SIGTERM stops the services this script started, and nothing else. Once ready it prints
// the web client's URL and, with the development secret, two local users the page offers
// (dev-users.mjs).
//
// Environment: everything is passed through to the services. PORT is the edge's public port
// (default 8080, on every interface: BIND_HOST=127.0.0.1 keeps it to this machine); the edge's
// probes and metrics answer on METRICS_PORT (default 9464). The other services use the fixed
// ports of the conventions (3001-3005). Those and METRICS_PORT listen on 127.0.0.1 only: from
// the network, only the edge's public port can be reached.
// START_READY_TIMEOUT_MS (default 60000) bounds the wait for readiness.
// Unless NATS_URL / REDIS_URL are given, it runs its own NATS (LOCAL_NATS_PORT, default 4223;
// NATS_CLUSTER=3 for a three-node cluster) and Redis (LOCAL_REDIS_PORT, default 6380;
// REDIS_SENTINEL=1 for a primary, a replica and three sentinels on 26380-26382), secured
// as in production: a user per service, passwords made up for this start (secured-infra.mjs).
// Traces: OTEL_TRACES_EXPORTER=jsonl writes every span as a line of JSON to .local/traces/
// (a file per process); OTEL_EXPORTER_OTLP_ENDPOINT sends them to a collector instead
// (docs/operations.md, "Traces"). Each service is named by OTEL_SERVICE_NAME, a gateway node
// by service.instance.id.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEV_JWT_SECRET } from './dev-secret.mjs';
import { removeDevUsers, writeDevUsers } from './dev-users.mjs';
import { startSecuredNats, startSecuredRedis } from './secured-infra.mjs';

function log(msg) {
  console.log(`[start] ${msg}`);
}
function fail(msg) {
  console.error(`[start] ${msg}`);
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = positiveInt('START_READY_TIMEOUT_MS', 60_000);
// The services get SHUTDOWN_TIMEOUT_MS to drain; give them that plus a margin before SIGKILL.
const STOP_TIMEOUT_MS = positiveInt('SHUTDOWN_TIMEOUT_MS', 10_000) + 5_000;
const edgePort = positiveInt('PORT', 8080);
const edgeMetricsPort = positiveInt('METRICS_PORT', 9464);
const urlOf = (port) => `http://${HOST}:${port}`;

const GATEWAYS = [
  { id: 'gw1', port: 3004 },
  { id: 'gw2', port: 3005 },
];
// Internal services listen on HOST only (BIND_HOST); `probePort` is where /readyz answers
// when it is not `port` (the edge's public port serves no probes).
const internal = { BIND_HOST: HOST };
const SERVICES = [
  { name: 'chat-api', service: 'chat-api', port: 3001, env: internal },
  { name: 'message-api', service: 'message-api', port: 3002, env: internal },
  { name: 'media-service', service: 'media-service', port: 3003, env: internal },
  ...GATEWAYS.map((gw) => ({
    name: `gateway-${gw.id}`,
    service: 'realtime-gateway',
    port: gw.port,
    env: { ...internal, GATEWAY_NODE_ID: gw.id },
  })),
  {
    name: 'edge',
    service: 'edge',
    port: edgePort,
    probePort: edgeMetricsPort,
    env: {
      METRICS_PORT: String(edgeMetricsPort),
      METRICS_BIND_HOST: HOST,
      CHAT_API_URL: urlOf(3001),
      MESSAGE_API_URL: urlOf(3002),
      MEDIA_SERVICE_URL: urlOf(3003),
      GATEWAY_NODES: GATEWAYS.map((gw) => `${gw.id}=${urlOf(gw.port)}`).join(','),
    },
  },
];

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    fail(`${name} must be a positive integer, got '${raw}'`);
    process.exit(2);
  }
  return value;
}

const mainOf = (s) => path.join(ROOT, 'services', s.service, 'dist', 'main.js');
const tracesDir = (env) => env.TRACES_DIR || path.join(ROOT, '.local/traces');
/** A folder as the user would type it: relative to the repository when inside it. */
const shortPath = (dir) => {
  const relative = path.relative(ROOT, path.resolve(ROOT, dir));
  return relative && !relative.startsWith('..') ? relative : path.resolve(ROOT, dir);
};

/** The service's name and node in its spans (OTEL_RESOURCE_ATTRIBUTES the caller gave kept too). */
function traceEnv(s, env) {
  const node = s.env.GATEWAY_NODE_ID ? `service.instance.id=${s.env.GATEWAY_NODE_ID}` : '';
  const attributes = [env.OTEL_RESOURCE_ATTRIBUTES, node].filter(Boolean).join(',');
  return {
    OTEL_SERVICE_NAME: s.service,
    TRACES_DIR: tracesDir(env),
    ...(attributes && { OTEL_RESOURCE_ATTRIBUTES: attributes }),
  };
}

function checkBuilt() {
  const missing = [...new Set(SERVICES.map(mainOf))].filter((file) => !existsSync(file));
  if (missing.length === 0) return;
  for (const file of missing) fail(`missing ${path.relative(ROOT, file)}`);
  fail('the services are not built: run `npm run build` first (`npm start` builds, then starts)');
  process.exit(1);
}

/** Every port a service listens on, with what it is for: [port, label]. */
const portsOf = (s) => [[s.port, s.name], ...(s.probePort ? [[s.probePort, `${s.name} METRICS_PORT`]] : [])];

function checkPortsDistinct() {
  const taken = new Map();
  for (const [port, label] of SERVICES.flatMap(portsOf)) {
    if (taken.has(port)) {
      fail(`${label} (port ${port}) collides with ${taken.get(port)}; pick another PORT or METRICS_PORT for the edge`);
      process.exit(2);
    }
    taken.set(port, label);
  }
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

async function checkPortsFree() {
  const busy = [];
  for (const [port, label] of SERVICES.flatMap(portsOf)) if (await portInUse(port)) busy.push(`${port} (${label})`);
  if (busy.length === 0) return;
  fail(`already in use: port ${busy.join(', ')}. Is another \`npm start\` running? (see: ss -ltnp)`);
  process.exit(1);
}

function ensureJwtSecret(env) {
  if (env.JWT_SECRET) return;
  env.JWT_SECRET = DEV_JWT_SECRET;
  const bar = '!'.repeat(78);
  console.warn(
    [
      bar,
      '!!  JWT_SECRET is not set: using the fixed DEVELOPMENT secret from',
      '!!  deploy/local/dev-secret.mjs. It is published in this repository, so anyone',
      '!!  can mint tokens this platform accepts. For this machine only; never expose it.',
      '!!  Tokens for it: npm run token -- <24-hex userId>',
      '!!  Set JWT_SECRET (16+ characters) for anything others can reach.',
      bar,
    ].join('\n'),
  );
}

function runInfraUp() {
  const result = spawnSync('bash', [path.join(ROOT, 'deploy/local/infra-up.sh')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status === 0) return;
  fail(`deploy/local/infra-up.sh failed (${result.error?.message ?? describeExit(result.status, result.signal)})`);
  process.exit(result.status || 1);
}

const describeExit = (code, signal) => (signal ? `signal ${signal}` : `exit code ${code}`);

// ---------------------------------------------------------------- children
const COLORS = [36, 33, 35, 32, 34, 96];
const nameWidth = Math.max(...SERVICES.map((s) => s.name.length));
const running = new Set();
let stopping = false;

function prefixLines(stream, out, prefix) {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

function startService(s, index, env) {
  const label = s.name.padEnd(nameWidth);
  const prefix = process.stdout.isTTY ? `\x1b[${COLORS[index % COLORS.length]}m${label} |\x1b[0m` : `${label} |`;
  // detached: each service gets its own process group, so a terminal Ctrl-C reaches only
  // this script, which then stops the services in order with SIGTERM.
  // start-tracing traces only when the OTEL_* variables ask for it (docs/configuration.md).
  const child = spawn(process.execPath, ['--import', '@chat/platform/start-tracing', mainOf(s)], {
    cwd: ROOT,
    env: {
      ...env,
      ...traceEnv(s, env),
      ...securedNats?.userEnv(s.service),
      ...securedRedis?.userEnv(s.service),
      ...s.env,
      PORT: String(s.port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  s.child = child;
  running.add(s);
  prefixLines(child.stdout, process.stdout, prefix);
  prefixLines(child.stderr, process.stderr, prefix);
  child.once('error', (err) => {
    running.delete(s);
    if (!stopping) void stopAll(1, `${s.name} could not be started: ${err.message}`);
  });
  // 'close' (not 'exit'): the service's last output lines have been printed by then.
  child.once('close', (code, signal) => {
    running.delete(s);
    if (!stopping)
      void stopAll(1, `${s.name} exited unexpectedly (${describeExit(code, signal)}); stopping the others`);
  });
}

async function waitReady(s, deadline) {
  const probe = `${urlOf(s.probePort ?? s.port)}/readyz`;
  let last = 'no answer yet';
  while (!stopping && Date.now() < deadline) {
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return true;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  if (!stopping) fail(`${s.name}: ${probe} not 200 after ${READY_TIMEOUT_MS} ms (last: ${last})`);
  return false;
}

function signalChild(s, signal) {
  try {
    // SIGTERM to the service itself; SIGKILL to its whole group, leaving no stragglers.
    process.kill(signal === 'SIGKILL' ? -s.child.pid : s.child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopAll(code, reason) {
  if (stopping) return;
  stopping = true;
  if (reason) (code === 0 ? log : fail)(reason);
  const names = [...running].map((s) => s.name);
  if (names.length > 0) log(`stopping ${names.join(', ')} (SIGTERM)`);
  for (const s of running) signalChild(s, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (running.size > 0) {
    fail(`still running after ${STOP_TIMEOUT_MS} ms, sending SIGKILL: ${[...running].map((s) => s.name).join(', ')}`);
    for (const s of running) signalChild(s, 'SIGKILL');
    const killDeadline = Date.now() + 2000;
    while (running.size > 0 && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  }
  log('all services stopped');
  removeDevUsers(ROOT);
  for (const server of [securedNats, securedRedis]) server?.stop();
  noteInfraLeftRunning();
  process.exit(code);
}

function noteInfraLeftRunning() {
  try {
    const pid = Number(readFileSync(path.join(ROOT, '.local/ferretdb.pid'), 'utf8').trim());
    if (/ferretdb/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) {
      log(`FerretDB (pid ${pid}, started by infra-up.sh) keeps running; stop it with: kill $(cat .local/ferretdb.pid)`);
    }
  } catch {
    // no FerretDB of ours is running
  }
  log('the MongoDB-wire server is left running for the next start');
}

// ---------------------------------------------------------------- main
checkPortsDistinct();
checkBuilt();
await checkPortsFree();
const env = { ...process.env };
ensureJwtSecret(env);
runInfraUp();
let securedNats;
let securedRedis;
try {
  if (!env.NATS_URL) {
    securedNats = await startSecuredNats({
      root: ROOT,
      port: positiveInt('LOCAL_NATS_PORT', 4223),
      size: positiveInt('NATS_CLUSTER', 1),
    });
    Object.assign(env, securedNats.env);
    log(`NATS with a user per service at ${env.NATS_URL} (streams kept ${env.NATS_STREAM_REPLICAS}×)`);
  }
  if (!env.REDIS_URL && !env.REDIS_SENTINELS) {
    const sentinel = env.REDIS_SENTINEL === '1';
    securedRedis = await startSecuredRedis({ root: ROOT, port: positiveInt('LOCAL_REDIS_PORT', 6380), sentinel });
    Object.assign(env, securedRedis.env);
    log(
      sentinel
        ? `Redis with a user per service: a primary, a replica and sentinels at ${env.REDIS_SENTINELS} (${env.REDIS_SENTINEL_NAME})`
        : `Redis with a user per service at ${env.REDIS_URL}`,
    );
  }
} catch (err) {
  for (const server of [securedNats, securedRedis]) server?.stop();
  fail(`could not start NATS / Redis: ${err.message}`);
  process.exit(1);
}

// A second signal a moment after the first is the same Ctrl-C delivered twice (terminal and
// npm both send it); one that comes later means "stop now".
let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (firstSignalAt === 0) {
      firstSignalAt = Date.now();
      void stopAll(0, `${signal} received`);
    } else if (Date.now() - firstSignalAt > 1000) {
      fail(`${signal} again: SIGKILL to every service`);
      for (const s of running) signalChild(s, 'SIGKILL');
    }
  });
}
// `kill <npm pid>` ends npm and its shell but does not reach this script: when the parent
// goes away, stop as if signalled rather than leave the services running unattended.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stopAll(0, `parent process ${parentPid} is gone`);
}, 1000).unref();
// Output to a closed pipe (the terminal or npm went away) must not crash us mid-shutdown.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
// Last resort if this script dies of an error: never leave services behind.
process.on('exit', () => {
  removeDevUsers(ROOT);
  for (const s of running) signalChild(s, 'SIGKILL');
  for (const server of [securedNats, securedRedis]) server?.stop();
});

SERVICES.forEach((s, i) => startService(s, i, env));
log(`started ${SERVICES.map((s) => `${s.name}:${s.port}`).join(' ')}; waiting for /readyz`);
const deadline = Date.now() + READY_TIMEOUT_MS;
const ready = await Promise.all(SERVICES.map((s) => waitReady(s, deadline)));
if (!stopping) {
  if (ready.every(Boolean)) {
    console.log(`Chat platform ready: ${urlOf(edgePort)}`);
    if (/(^|,)\s*jsonl\s*(,|$)/.test(env.OTEL_TRACES_EXPORTER ?? ''))
      log(`spans are written as JSON lines to ${shortPath(tracesDir(env))}/ (a file per process)`);
    printWebClient();
  } else await stopAll(1, 'not every service became ready; stopping');
}

/** The page's address and, with the development secret, two users it offers at sign-in. */
function printWebClient() {
  const page = `${urlOf(edgePort)}/`;
  if (!existsSync(path.join(ROOT, 'clients/web/dist/index.html'))) {
    log(`no web client at ${page}: clients/web is not built (npm run build)`);
    return;
  }
  const users = env.JWT_SECRET === DEV_JWT_SECRET ? writeDevUsers(ROOT, env.JWT_SECRET) : undefined;
  if (!users) {
    console.log(`Web client: ${page} (sign in with a token: npm run --silent token -- <24-hex userId>)`);
    return;
  }
  console.log(`Web client: ${page} with two ready local users; open it in two tabs and pick one in each:`);
  for (const u of users) console.log(`  ${u.name.padEnd(6)} ${u.userId}`);
}
