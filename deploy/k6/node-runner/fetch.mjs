// One HTTP request as k6/http makes it, on Node's fetch: used by the worker for
// http.asyncRequest and by the main thread for the worker's synchronous http.* calls.

/** k6 durations: a number of ms, or '500ms', '30s', '2m', '1h', '1m30s'. */
export function parseDuration(value, fallbackMs) {
  if (value === undefined || value === null || value === '') return fallbackMs;
  if (typeof value === 'number') return value;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m;
  let matched = '';
  while ((m = re.exec(value))) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]];
    matched += m[0];
  }
  if (matched !== value) throw new Error(`bad duration '${value}'`);
  return ms;
}

const isFile = (v) => v && typeof v === 'object' && v.__k6File === true;

function bytes(v) {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(String(v), 'utf8');
}

/** The body k6 would send for `body`, setting Content-Type where k6 does. Returns string | Uint8Array | undefined. */
export function encodeBody(body, headers) {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new Uint8Array(bytes(body));
  const has = (name) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  const entries = Object.entries(body);
  if (entries.some(([, v]) => isFile(v))) {
    const boundary = `----k6node${Math.random().toString(16).slice(2)}`;
    const parts = [];
    for (const [k, v] of entries) {
      const head = isFile(v)
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${k}"; filename="${v.filename}"\r\nContent-Type: ${v.content_type}\r\n\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n`;
      parts.push(Buffer.from(head), bytes(isFile(v) ? v.data : v), Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    if (!has('content-type')) headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
    return new Uint8Array(Buffer.concat(parts));
  }
  if (!has('content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  return new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString();
}

/** k6 shows header names in canonical form (Content-Type). */
const canonical = (name) => name.replace(/(^|-)([a-z])/g, (_, dash, c) => dash + c.toUpperCase());

/** Performs `req` ({ method, url, headers, body, timeoutMs, responseType }); never throws. */
export async function perform(req) {
  const started = performance.now();
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const buf = await res.arrayBuffer();
    const headers = {};
    res.headers.forEach((v, k) => (headers[canonical(k)] = v));
    let body = null;
    if (req.responseType === 'binary') body = buf;
    else if (req.responseType !== 'none') body = Buffer.from(buf).toString('utf8');
    return {
      status: res.status,
      statusText: res.statusText,
      headers,
      body,
      url: res.url,
      duration: performance.now() - started,
      error: '',
      errorCode: 0,
    };
  } catch (e) {
    const error = String((e && e.cause && e.cause.message) || (e && e.message) || e);
    return {
      status: 0,
      statusText: '',
      headers: {},
      body: null,
      url: req.url,
      duration: performance.now() - started,
      error,
      errorCode: 1000,
    };
  }
}
