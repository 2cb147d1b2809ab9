import { z } from 'zod';
import type { RedisSentinelSet } from './redis.js';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Variables every service reads. Services extend this with their own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JWT_SECRET: z.string({ error: 'is required' }).min(16, 'must be at least 16 characters'),
  /** Longest lifetime a token may claim (`exp` minus `iat`, and `exp` from now), in seconds; longer ones are refused. */
  JWT_MAX_LIFETIME_S: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 3600),
  /** Seconds of clock skew allowed between the token issuer and this service (for `exp` and `nbf`). */
  JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(5),
  /** When set, tokens must carry this `iss`. */
  JWT_ISSUER: z.string().min(1).optional(),
  /** When set, tokens must carry one of these audiences (`aud`), comma-separated. */
  JWT_AUDIENCE: z.string().min(1).optional(),
  MONGO_URL: z.string().url().default('mongodb://127.0.0.1:27017/chat'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /**
   * This service's Redis ACL user and its password (each service has its own, with its keys and
   * channels: libs/contracts redis-acl.ts), kept out of REDIS_URL so the URL can live in a
   * ConfigMap. REDIS_PASSWORD alone authenticates as Redis's `default` user (`requirepass`).
   */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /**
   * A Sentinel-managed Redis: its sentinels, `host:port` comma-separated, and the name they
   * monitor the primary under. Set, the services ask the sentinels for the primary (REDIS_URL
   * then gives only the user, password and database) and follow a promotion by themselves.
   */
  REDIS_SENTINELS: z
    .string()
    .refine((list) => sentinelList(list) !== undefined, 'must be host:port, comma-separated')
    .optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  /** The sentinels' own user (`user` / `requirepass` in sentinel.conf); unset when they require none. */
  REDIS_SENTINEL_USERNAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** One server, or every member of a cluster, comma-separated. */
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** This service's NATS user and password (each service has its own, with its subject permissions). */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /** Copies of each JetStream stream: 3 on a three-node cluster, so one node may die. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  CORS_ORIGINS: z.string().default('*'),
  /**
   * Which hops may set X-Forwarded-For (express's `trust proxy`): by default only proxies on
   * loopback and private networks (the edge, an ingress), never any client on the internet.
   */
  TRUST_PROXY: z.string().default('loopback, linklocal, uniquelocal'),
  BODY_LIMIT: z.string().default('100kb'),
  NATS_REQUEST_TIMEOUT_MS: ms(3000),
  /** How long, and up to how many bytes, the event streams keep events (the oldest go first). */
  STREAM_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .default(24 * 7),
  STREAM_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  /** REST requests per user per window, per replica (429 with Retry-After past it). */
  HTTP_RATE_LIMIT_POINTS: z.coerce.number().int().positive().default(200),
  HTTP_RATE_LIMIT_WINDOW_S: z.coerce.number().int().positive().default(10),
  SHUTDOWN_TIMEOUT_MS: ms(10_000),
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

export { port as portVar, ms as msVar };

export class ConfigError extends Error {}

/**
 * The JWT secret `npm start` and `npm run token` fall back to when JWT_SECRET is unset
 * (deploy/local/dev-secret.mjs holds the same value for those scripts; config.test.ts checks
 * that they agree). It is public, so a production service refuses to start with it.
 */
export const DEV_JWT_SECRET = 'local-dev-only-jwt-secret-do-not-use-in-production';

/**
 * `host:port,host:port` (REDIS_SENTINELS) -> the sentinels' addresses; throws on a malformed entry.
 * Here rather than in redis.ts: the configuration is read before tracing starts, so it loads no client.
 */
export function parseSentinels(list: string): RedisSentinelSet['sentinels'] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(.+):(\d{1,5})$/.exec(entry);
      if (!match || Number(match[2]) > 65535) throw new Error(`"${entry}" is not host:port`);
      return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) };
    });
}

const sentinelList = (list: string) => {
  try {
    const sentinels = parseSentinels(list);
    return sentinels.length ? sentinels : undefined;
  } catch {
    return undefined;
  }
};

/** The Sentinel set REDIS_SENTINELS and its companions name, or undefined for the one server of REDIS_URL. */
export function redisSentinelSet(config: BaseConfig): RedisSentinelSet | undefined {
  if (!config.REDIS_SENTINELS || !config.REDIS_SENTINEL_NAME) return undefined;
  return {
    sentinels: parseSentinels(config.REDIS_SENTINELS),
    name: config.REDIS_SENTINEL_NAME,
    username: config.REDIS_SENTINEL_USERNAME,
    password: config.REDIS_SENTINEL_PASSWORD,
  };
}

/**
 * Rules that span variables: a production service never runs with the public development
 * secret; sentinels come with the name of the primary they watch.
 */
function crossChecks(config: unknown): string[] {
  const c = config as {
    NODE_ENV?: unknown;
    JWT_SECRET?: unknown;
    REDIS_SENTINELS?: unknown;
    REDIS_SENTINEL_NAME?: unknown;
  };
  if (c.REDIS_SENTINELS && !c.REDIS_SENTINEL_NAME)
    return ['REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS (the name the sentinels monitor the primary under)'];
  if (c.NODE_ENV === 'production' && c.JWT_SECRET === DEV_JWT_SECRET)
    return [
      'JWT_SECRET: is the public development secret (deploy/local/dev-secret.mjs) and NODE_ENV is production; set a secret of your own',
    ];
  return [];
}

/** Parses `env` with `schema`; throws a ConfigError that names every bad variable. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  const problems = result.success
    ? crossChecks(result.data)
    : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  if (problems.length === 0) return result.data as z.output<S>;
  throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

/**
 * Reads the process environment once at start. On a bad or missing variable it prints
 * which one and exits, so a misconfigured service never half-starts.
 * @example const config = loadConfig(baseConfigSchema.extend({ PORT: portVar(3001) }));
 */
export function loadConfig<S extends z.ZodType>(schema: S): z.output<S> {
  try {
    // Empty strings count as unset so `FOO= node main.js` falls back to defaults.
    const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== ''));
    return parseConfig(schema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

/** `a,b , c` -> ['a','b','c'] */
export const csv = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The span exporters tracing offers: `otlp` (OTLP over HTTP, JSON bodies) and `jsonl` (files in TRACES_DIR). */
export type TraceExporterName = 'otlp' | 'jsonl';
const TRACE_EXPORTERS: readonly string[] = ['otlp', 'jsonl', 'none'];
const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * Tracing (OpenTelemetry), read by `node --import @chat/platform/start-tracing` before the
 * service itself loads; the names and meanings are the OpenTelemetry specification's. Off
 * unless OTEL_TRACES_EXPORTER names an exporter or an OTLP endpoint is set. The SDK reads a
 * few more OTEL_* variables itself (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS and
 * _TIMEOUT, OTEL_BSP_*, OTEL_ATTRIBUTE_*_LIMIT): the one reader of the environment besides this module.
 */
export const tracingConfigSchema = z.object({
  OTEL_SDK_DISABLED: z.stringbool().default(false),
  /** `otlp`, `jsonl` or `none`, comma-separated. Unset: `otlp` when an OTLP endpoint is set, else none. */
  OTEL_TRACES_EXPORTER: z
    .string()
    .refine(
      (list) => csv(list).every((name) => TRACE_EXPORTERS.includes(name)),
      'must be otlp, jsonl or none, comma-separated',
    )
    .optional(),
  /** The collector's base URL (`/v1/traces` is appended), e.g. http://localhost:4318. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** The full URL spans are posted to; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  /** Defaults to the service the process runs (services/<name>/dist/main.js). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z.enum(TRACE_SAMPLERS).default('parentbased_always_on'),
  /** The ratio of new traces kept by the `*traceidratio` samplers, 0 to 1. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  /** Where the `jsonl` exporter writes, a file per process (`npm start`: .local/traces). */
  TRACES_DIR: z.string().min(1).default('.local/traces'),
});
export type TracingConfig = z.infer<typeof tracingConfigSchema>;

/** The exporters the configuration asks for: none means this process does not trace. */
export function traceExporters(config: TracingConfig): TraceExporterName[] {
  if (config.OTEL_SDK_DISABLED) return [];
  const endpoint = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT;
  const named = config.OTEL_TRACES_EXPORTER ? csv(config.OTEL_TRACES_EXPORTER) : endpoint ? ['otlp'] : [];
  return [...new Set(named)].filter((name): name is TraceExporterName => name !== 'none');
}
