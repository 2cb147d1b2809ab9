// Module hooks of a VU thread: `k6` and `k6/*` imports load the shims of shim.mjs (default
// export and named exports, as k6's own modules have them).
const SHIM = new URL('./shim.mjs', import.meta.url).href;
const MODULES = {
  k6: ['check', 'fail', 'group', 'sleep', 'randomSeed'],
  'k6/http': ['get', 'post', 'put', 'patch', 'del', 'head', 'options', 'request', 'asyncRequest', 'file'],
  'k6/metrics': ['Counter', 'Gauge', 'Rate', 'Trend'],
  'k6/websockets': ['WebSocket'],
  'k6/timers': ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
  'k6/crypto': ['randomBytes', 'hmac', 'sha256', 'md5'],
  'k6/encoding': ['b64encode', 'b64decode'],
  'k6/execution': ['vu', 'scenario', 'instance', 'test'],
};
const exportName = (spec) => (spec === 'k6' ? 'k6' : spec.slice(3));

export async function resolve(specifier, context, next) {
  if (Object.hasOwn(MODULES, specifier)) return { url: `k6shim:${specifier}`, shortCircuit: true };
  if (specifier === 'k6' || specifier.startsWith('k6/')) throw new Error(`node-runner: ${specifier} is not shimmed`);
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('k6shim:')) return next(url, context);
  const spec = url.slice('k6shim:'.length);
  const mod = exportName(spec);
  const named = MODULES[spec].map((n) => `export const ${n} = m.${mod}.${n};`).join('\n');
  return {
    format: 'module',
    shortCircuit: true,
    source: `import * as m from ${JSON.stringify(SHIM)};\nexport default m.${mod};\n${named}\n`,
  };
}
