#!/usr/bin/env node
// Runs the image's install steps (install-app.sh all) into a temporary folder and starts every
// service from there, with the Node this script runs on (CI: Node 24, the image's), against
// real NATS, Redis and the MongoDB-wire server; each must answer /readyz with 200. Proves that
// the runtime install (no dev dependencies, no test kit) holds everything the services load.
//   node deploy/docker/check-install.mjs [--keep <dir>]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, serviceUserEnv, startTestInfra } from '@chat/testkit';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES = ['chat-api', 'message-api', 'media-service', 'realtime-gateway', 'edge'];
const READY_TIMEOUT_MS = 30_000;

const dest = mkdtempSync(join(tmpdir(), 'chat-install-'));
const t0 = Date.now();
const install = spawnSync('bash', [join(ROOT, 'deploy/docker/install-app.sh'), 'all', ROOT, dest], { stdio: ['ignore', 'ignore', 'inherit'] });
if (install.status !== 0) {
  console.error(`check-install: install-app.sh failed (exit ${install.status})`);
  process.exit(1);
}
console.log(`installed into ${dest} in ${((Date.now() - t0) / 1000).toFixed(0)} s; starting each service with Node ${process.versions.node}`);

const infra = await startTestInfra();
const children = [];
let failed = 0;
try {
  for (const name of SERVICES) {
    const port = await freePort();
    // The edge answers /readyz on its internal port only (METRICS_PORT), never on its public PORT.
    const probePort = name === 'edge' ? await freePort() : port;
    // Started as the image starts it, with tracing on (to files): the SDK must load from the pruned install too.
    const child = spawn(process.execPath, ['--import', '@chat/platform/start-tracing', `services/${name}/dist/main.js`], {
      cwd: dest,
      env: {
        PATH: process.env.PATH,
        OTEL_TRACES_EXPORTER: 'jsonl',
        TRACES_DIR: join(dest, 'traces'),
        ...infra.env,
        ...serviceUserEnv(name),
        NODE_ENV: 'production',
        PORT: String(port),
        ...(name === 'edge' && { METRICS_PORT: String(probePort) }),
        MEDIA_STORAGE_DIR: join(dest, 'media'),
        CHAT_API_URL: 'http://127.0.0.1:1',
        MESSAGE_API_URL: 'http://127.0.0.1:1',
        MEDIA_SERVICE_URL: 'http://127.0.0.1:1',
        GATEWAY_NODES: 'http://127.0.0.1:1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    children.push(child);
    const ready = await readyWithin(`http://127.0.0.1:${probePort}/readyz`, child);
    if (ready) console.log(`ok   ${name}: /readyz 200`);
    else {
      failed++;
      console.log(`FAIL ${name}: no /readyz 200 within ${READY_TIMEOUT_MS / 1000} s\n${stderr.slice(-2000)}`);
    }
    // The web client ships as static files the edge finds beside its own dist/.
    if (ready && name === 'edge') {
      const page = await fetch(`http://127.0.0.1:${port}/`).then(
        async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }),
        (err) => ({ status: 0, type: null, body: err.message }),
      );
      const served = page.status === 200 && page.type?.startsWith('text/html') && page.body.includes('<div id="app">');
      if (served) console.log('ok   edge: the web client at /');
      else {
        failed++;
        console.log(`FAIL edge: no web client at / (HTTP ${page.status}, ${page.type}): ${page.body.slice(0, 200)}`);
      }
    }
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  await infra.stop();
  if (!process.argv.includes('--keep')) rmSync(dest, { recursive: true, force: true });
}
process.exit(failed === 0 ? 0 : 1);

async function readyWithin(url, child) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
