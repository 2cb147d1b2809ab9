import { pino, type DestinationStream, type Logger } from 'pino';
import { currentContext } from './context.js';
import { traceLogFields } from './tracing.js';

export type { Logger };

/** What a redacted credential is logged as (pino's own `redact` writes the same). */
export const REDACTED = '[Redacted]';

/** The rest of a locally stored file's URL: its random name is the only key to the file. */
const FILE_URL = /(\/api\/media\/files\/)[^?#\s]*/gi;
/** Query parameters that are credentials: Engine.IO's session id lets whoever holds it poll that session. */
const SECRET_QUERY_PARAMS = new Set(['sid']);

const decodedName = (raw: string) => {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
};

/**
 * A URL (path and query, or absolute) with its credentials replaced by `[Redacted]`: the
 * name of a served media file and the Socket.IO session id.
 * @example redactUrl('/socket.io/?EIO=4&transport=polling&sid=gw1.x') // '/socket.io/?EIO=4&transport=polling&sid=[Redacted]'
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = (queryAt < 0 ? url : url.slice(0, queryAt)).replace(FILE_URL, `$1${REDACTED}`);
  if (queryAt < 0) return path;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0] as string;
      return SECRET_QUERY_PARAMS.has(decodedName(name)) ? `${name}=${REDACTED}` : pair;
    });
  return `${path}?${query.join('&')}`;
}

/** The fields of pino-http's serialized request that redactRequest rewrites. */
interface SerializedRequest {
  url?: string;
  query?: unknown;
  headers?: Record<string, unknown>;
}

/**
 * pino-http's request serializer: the credentials of `redactUrl` out of the URL, the parsed
 * query and the Referer (a page opened at a file's URL names it). It rewrites the fresh object
 * pino-http serialized, but copies `query` and `headers`: those are the live request's own.
 */
export function redactRequest<R extends SerializedRequest>(req: R): R {
  if (typeof req.url === 'string') req.url = redactUrl(req.url);
  if (req.query && typeof req.query === 'object') {
    const query: Record<string, unknown> = { ...req.query };
    for (const name of Object.keys(query)) if (SECRET_QUERY_PARAMS.has(name)) query[name] = REDACTED;
    req.query = query;
  }
  const referer = req.headers?.referer;
  if (typeof referer === 'string') req.headers = { ...req.headers, referer: redactUrl(referer) };
  return req;
}

/**
 * JSON logs with the service name, the request id and user of the current request when there
 * is one, and `trace_id` / `span_id` when the line is written inside a span (tracing.ts).
 * `destination` defaults to stdout (tests pass one to read the lines).
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const ctx = currentContext();
      const fields = ctx ? { requestId: ctx.requestId, userId: ctx.userId } : {};
      const trace = traceLogFields();
      return trace ? { ...fields, ...trace } : fields;
    },
    redact: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
  };
  return destination ? pino(options, destination) : pino(options);
}
