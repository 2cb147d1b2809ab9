// One k6 VU (or the setup / teardown / options reader) in a worker thread: imports the
// script with k6's modules shimmed, then runs its part and reports to run.mjs.
import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

register('./hooks.mjs', import.meta.url);
const shim = await import('./shim.mjs');

const { role, script, env, vu, scenario, exec, iterations, deadline, shared, setupData } = workerData;
const post = (msg) => parentPort.postMessage(msg);
shim.init({ post, syncPort: workerData.syncPort, flag: new Int32Array(workerData.flag), scenario: scenario || '', vu });

globalThis.__ENV = env;
globalThis.__VU = vu;
globalThis.__ITER = 0;
globalThis.open = (file, mode) => {
  const data = readFileSync(path.resolve(path.dirname(script), file));
  return mode === 'b' ? new Uint8Array(data).buffer : data.toString('utf8');
};

/** Calls a lifecycle function and waits for its promise and for every timer, socket and request it left. */
async function run(fn, arg) {
  const value = await fn(arg);
  await shim.idle();
  return value;
}

let mod;
try {
  mod = await import(pathToFileURL(script).href);
} catch (e) {
  post({ type: 'fatal', error: `init: ${e && e.stack ? e.stack : e}` });
  process.exit(1);
}

try {
  if (role === 'options') {
    post({
      type: 'options',
      options: JSON.parse(JSON.stringify(mod.options || {})),
      hasSetup: typeof mod.setup === 'function',
      hasTeardown: typeof mod.teardown === 'function',
    });
  } else if (role === 'setup') {
    const data = await run(mod.setup);
    post({ type: 'setup', data: data === undefined ? undefined : JSON.parse(JSON.stringify(data)) });
  } else if (role === 'teardown') {
    await run(mod.teardown, setupData);
  } else {
    const fn = mod[exec || 'default'];
    if (typeof fn !== 'function') throw new Error(`no exported function ${exec || 'default'}`);
    const counter = shared ? new Int32Array(shared) : null;
    for (let iter = 0; ; iter++) {
      if (Date.now() >= deadline) break;
      if (counter ? Atomics.add(counter, 0, 1) >= iterations : iter >= iterations) break;
      shim.setIteration(iter);
      const started = performance.now();
      try {
        await run(fn, setupData);
        shim.sample('iterations', 1);
        shim.sample('iteration_duration', performance.now() - started);
      } catch (e) {
        console.error(`ERRO VU ${vu} iteration ${iter}: ${e && e.stack ? e.stack : e}`);
        await shim.idle();
      }
    }
  }
  post({ type: 'done' });
} catch (e) {
  post({ type: 'fatal', error: `${role}: ${e && e.stack ? e.stack : e}` });
}
