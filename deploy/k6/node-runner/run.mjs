#!/usr/bin/env node
// Runs a deploy/k6 script under Node, for machines without the k6 binary: the same script
// file, with the subset of k6's API it uses shimmed (shim.mjs), one worker thread per VU,
// k6's executors per-vu-iterations / shared-iterations / constant-vus, setup() and
// teardown(), checks, groups, custom metrics, and thresholds evaluated at the end (exit 99
// when one is crossed, like k6). It checks that the scripts work against a real stack and
// that their thresholds are wired; its figures are Node's, not k6's.
//
//   node deploy/k6/node-runner/run.mjs [-e NAME=VALUE]... deploy/k6/socket.js
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { parseDuration, perform } from './fetch.mjs';

const args = process.argv.slice(2);
const env = { ...process.env };
let script;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-e' || args[i] === '--env') {
    const [k, ...v] = args[++i].split('=');
    env[k] = v.join('=');
  } else script = path.resolve(args[i]);
}
if (!script) {
  console.error('usage: node deploy/k6/node-runner/run.mjs [-e NAME=VALUE]... SCRIPT.js');
  process.exit(2);
}

const VU_FILE = new URL('./vu.mjs', import.meta.url);
const metrics = new Map(); // name -> { kind, isTime, samples: [{ value, tags }] }
const started = Date.now();
let fatal;

function onMessage(msg) {
  if (msg.type === 'metric') {
    if (!metrics.has(msg.name)) metrics.set(msg.name, { kind: msg.kind, isTime: msg.isTime, samples: [] });
  } else if (msg.type === 'sample') {
    const m = metrics.get(msg.name);
    if (m) m.samples.push({ value: msg.value, tags: msg.tags });
  } else if (msg.type === 'fatal') {
    fatal = msg.error;
    console.error(`ERRO ${msg.error}`);
  }
}

/** Starts one worker; resolves with its last typed message of interest once it exits. */
function startWorker(data, hardDeadline) {
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  const flagView = new Int32Array(flag);
  // The worker's synchronous http.* calls: perform, answer on the port, then wake it.
  port1.on('message', async (req) => {
    const res = await perform(req);
    port1.postMessage(res);
    Atomics.store(flagView, 0, 1);
    Atomics.notify(flagView, 0);
  });
  const worker = new Worker(VU_FILE, {
    workerData: { ...data, script, env, syncPort: port2, flag },
    transferList: [port2],
  });
  let result;
  worker.on('message', (msg) => {
    onMessage(msg);
    if (msg.type === 'options' || msg.type === 'setup') result = msg;
  });
  return new Promise((resolve) => {
    const timer = hardDeadline
      ? setTimeout(
          () => {
            console.error(`WARN VU ${data.vu}: still running at the end of its scenario's gracefulStop, stopped`);
            void worker.terminate();
          },
          Math.max(0, hardDeadline - Date.now()),
        )
      : undefined;
    worker.on('error', (e) => {
      fatal = fatal || String(e && e.stack ? e.stack : e);
      console.error(`ERRO worker: ${fatal}`);
    });
    worker.on('exit', () => {
      clearTimeout(timer);
      port1.close();
      resolve(result);
    });
  });
}

// ---------------------------------------------------------------- run
const info = await startWorker({ role: 'options', vu: 0 });
if (!info) process.exit(107);
const options = info.options;
const scenarios = options.scenarios || {
  default: options.iterations
    ? { executor: 'shared-iterations', vus: options.vus || 1, iterations: options.iterations, maxDuration: '10m' }
    : { executor: 'constant-vus', vus: options.vus || 1, duration: options.duration || '10s' },
};

let setupData;
if (info.hasSetup) {
  const s = await startWorker(
    { role: 'setup', vu: 0, scenario: '' },
    Date.now() + parseDuration(options.setupTimeout, 60_000),
  );
  if (fatal || !s) {
    console.error('setup() failed');
    process.exit(107);
  }
  setupData = s.data;
}

let nextVu = 1;
await Promise.all(
  Object.entries(scenarios).map(async ([name, sc]) => {
    await new Promise((r) => setTimeout(r, parseDuration(sc.startTime, 0)));
    const vus = sc.vus || 1;
    const runFor =
      sc.executor === 'constant-vus' ? parseDuration(sc.duration, 10_000) : parseDuration(sc.maxDuration, 600_000);
    const deadline = Date.now() + runFor;
    const hard = deadline + parseDuration(sc.gracefulStop, 30_000);
    const shared = sc.executor === 'shared-iterations' ? new SharedArrayBuffer(4) : undefined;
    const iterations = sc.executor === 'constant-vus' ? Number.MAX_SAFE_INTEGER : sc.iterations || 1;
    const first = nextVu;
    nextVu += vus;
    const workers = [];
    for (let v = 0; v < vus; v++) {
      workers.push(
        startWorker(
          { role: 'vu', vu: first + v, scenario: name, exec: sc.exec, iterations, deadline, shared, setupData },
          hard,
        ),
      );
    }
    await Promise.all(workers);
  }),
);
if (info.hasTeardown)
  await startWorker(
    { role: 'teardown', vu: 0, scenario: '', setupData },
    Date.now() + parseDuration(options.teardownTimeout, 60_000),
  );

// ---------------------------------------------------------------- summary and thresholds
const seconds = (Date.now() - started) / 1000;

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const i = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
}

/** Aggregates of a metric's samples, optionally only those whose tags match `filter`. */
function aggregate(m, filter) {
  const samples = filter
    ? m.samples.filter((s) => Object.entries(filter).every(([k, v]) => s.tags[k] === v))
    : m.samples;
  const values = samples.map((s) => s.value);
  const sum = values.reduce((a, b) => a + b, 0);
  if (m.kind === 'trend') {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      n: values.length,
      count: values.length,
      avg: values.length ? sum / values.length : 0,
      min: sorted[0] ?? 0,
      med: percentile(sorted, 50),
      max: sorted[sorted.length - 1] ?? 0,
      p: (x) => percentile(sorted, x),
    };
  }
  if (m.kind === 'rate')
    return {
      n: values.length,
      rate: values.length ? values.filter((v) => v !== 0).length / values.length : 0,
      passes: values.filter((v) => v !== 0).length,
    };
  if (m.kind === 'gauge')
    return {
      n: values.length,
      value: values[values.length - 1] ?? 0,
      min: Math.min(...values),
      max: Math.max(...values),
    };
  return { n: values.length, count: sum, rate: sum / seconds };
}

const fmt = (m, v) => (m.isTime ? `${v.toFixed(2)}ms` : Number.isInteger(v) ? String(v) : v.toFixed(4));

function evaluate(key, exprs) {
  const at = key.indexOf('{');
  const name = at === -1 ? key : key.slice(0, at);
  let filter;
  if (at !== -1) {
    filter = {};
    for (const kv of key.slice(at + 1, -1).split(',')) {
      const c = kv.indexOf(':');
      filter[kv.slice(0, c).trim()] = kv.slice(c + 1).trim();
    }
  }
  const m = metrics.get(name);
  if (!m) return exprs.map((e) => ({ expr: e, ok: false, shown: 'metric not found' }));
  const agg = aggregate(m, filter);
  return exprs.map((expr) => {
    const t =
      /^\s*(count|rate|value|avg|min|max|med|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|==|===|!=|<|>)\s*(-?[\d.]+)\s*$/.exec(expr);
    if (!t) return { expr, ok: false, shown: 'cannot parse' };
    const v = t[2] ? agg.p(Number(t[2])) : agg[t[1]];
    const want = Number(t[4]);
    const ok = {
      '<': v < want,
      '<=': v <= want,
      '>': v > want,
      '>=': v >= want,
      '==': v === want,
      '===': v === want,
      '!=': v !== want,
    }[t[3]];
    const shown = t[1] === 'rate' && m.kind === 'rate' ? `rate=${(v * 100).toFixed(2)}%` : `${t[1]}=${fmt(m, v)}`;
    // Like k6 at the end of a run, an empty sink is evaluated too: a Rate of nothing is 0.
    return { expr, ok, shown: agg.n === 0 ? `${shown} (no samples)` : shown };
  });
}

let crossed = 0;
console.log('\n  THRESHOLDS\n');
for (const [key, exprs] of Object.entries(options.thresholds || {})) {
  console.log(`    ${key}`);
  for (const r of evaluate(key, exprs)) {
    if (!r.ok) crossed++;
    console.log(`    ${r.ok ? '✓' : '✗'} '${r.expr}' ${r.shown}`);
  }
}

console.log('\n  CHECKS\n');
const checks = metrics.get('checks');
const byCheck = new Map();
for (const s of checks ? checks.samples : []) {
  const k = `${s.tags.group ? `${s.tags.group} ` : ''}${s.tags.check}`;
  const c = byCheck.get(k) || { pass: 0, fail: 0 };
  c[s.value ? 'pass' : 'fail']++;
  byCheck.set(k, c);
}
for (const [k, c] of byCheck)
  console.log(`    ${c.fail ? '✗' : '✓'} ${k}${c.fail ? ` (${c.fail} of ${c.pass + c.fail} failed)` : ` (${c.pass})`}`);

console.log('\n  METRICS\n');
const stats = options.summaryTrendStats || ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];
for (const [name, m] of [...metrics].sort(([a], [b]) => a.localeCompare(b))) {
  const a = aggregate(m);
  if (a.n === 0) continue;
  let line;
  if (m.kind === 'trend')
    line =
      stats.map((s) => `${s}=${fmt(m, /^p\(/.test(s) ? a.p(Number(s.slice(2, -1))) : a[s])}`).join(' ') +
      ` count=${a.n}`;
  else if (m.kind === 'rate') line = `${(a.rate * 100).toFixed(2)}% ${a.passes} out of ${a.n}`;
  else if (m.kind === 'gauge') line = `${fmt(m, a.value)} min=${fmt(m, a.min)} max=${fmt(m, a.max)}`;
  else line = `${a.count} ${a.rate.toFixed(2)}/s`;
  console.log(`    ${`${name}`.padEnd(34, '.')}: ${line}`);
}
console.log(
  `\n  ran ${seconds.toFixed(1)} s; ${crossed === 0 ? 'every threshold held' : `${crossed} threshold(s) crossed`}\n`,
);
process.exit(fatal ? 107 : crossed ? 99 : 0);
