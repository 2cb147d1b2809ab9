import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import { z } from 'zod';
import type { Logger } from 'pino';
import { AppError, notFound, toAppError, toHttpBody } from './errors.js';
import { redactRequest } from './logger.js';
import { runWithContext, requestIdFrom } from './context.js';
import { runReadiness, type ReadinessCheck } from './health.js';
import type { Metrics } from './metrics.js';
import { csv, type BaseConfig } from './config.js';

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  corsOrigins: string;
  /** Express's `trust proxy` (TRUST_PROXY): who may set X-Forwarded-For. */
  trustProxy: string;
  bodyLimit: string;
  /** Mounts the service's routes; runs after the common middleware, before 404 and errors. */
  routes: (app: Express) => void;
  /** Skip JSON body parsing (the edge proxies raw bodies). */
  rawBodies?: boolean;
  /**
   * Serve `/healthz`, `/readyz` and `/metrics` on this app (default). The public edge leaves
   * them to `internalApp`, on a port only the orchestrator and Prometheus reach.
   */
  internalRoutes?: boolean;
}

/** The HTTP settings of every service's configuration (CORS_ORIGINS, TRUST_PROXY, BODY_LIMIT) as createHttpApp takes them. */
export const httpSettings = (config: Pick<BaseConfig, 'CORS_ORIGINS' | 'TRUST_PROXY' | 'BODY_LIMIT'>) => ({
  corsOrigins: config.CORS_ORIGINS,
  trustProxy: config.TRUST_PROXY,
  bodyLimit: config.BODY_LIMIT,
});

/** Paths the orchestrator and Prometheus poll: not worth a log line each. */
const INTERNAL_PATHS = ['/healthz', '/readyz', '/metrics'];

/**
 * The express app every service serves: request ids, JSON logs (credentials in URLs redacted:
 * `redactRequest`), helmet, CORS, body limits, `/healthz`, `/readyz`, `/metrics`, the
 * service's routes, then 404 and the error renderer.
 */
export function createHttpApp(opts: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy === 'false' ? false : opts.trustProxy);
  // Request id first, so every later log line and NATS request carries it.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    runWithContext({ requestId }, () => next());
  });
  app.use(
    pinoHttp({
      logger: opts.logger,
      genReqId: (req) => req.headers['x-request-id'] as string,
      autoLogging: { ignore: (req) => opts.internalRoutes !== false && INTERNAL_PATHS.includes(req.url ?? '') },
      customProps: (_req, res) => ({ userId: (res as Response).locals?.userId }),
      serializers: { req: redactRequest },
    }),
  );
  app.use(helmet());
  const origins = opts.corsOrigins.trim() === '*' ? '*' : csv(opts.corsOrigins);
  app.use(cors({ origin: origins, exposedHeaders: ['x-request-id', 'retry-after'] }));
  app.use(opts.metrics.httpMiddleware);

  if (opts.internalRoutes !== false) mountInternalRoutes(app, opts);

  if (!opts.rawBodies) app.use(express.json({ limit: opts.bodyLimit, strict: true }));
  opts.routes(app);

  app.use((req: Request, _res: Response, next: NextFunction) =>
    next(notFound(`No route for ${req.method} ${req.path}`)),
  );
  app.use(errorRenderer(opts.logger));
  return app;
}

/** `/healthz` (alive), `/readyz` (every readiness check passes) and `/metrics` (Prometheus text). */
function mountInternalRoutes(app: Express, opts: Pick<HttpAppOptions, 'metrics' | 'readiness'>) {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const result = await runReadiness(opts.readiness);
    res.status(result.ready ? 200 : 503).json(result);
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', opts.metrics.registry.contentType);
    res.send(await opts.metrics.registry.metrics());
  });
}

/**
 * Only `/healthz`, `/readyz` and `/metrics`, for a port that is not public: the orchestrator
 * probes it and Prometheus scrapes it; clients cannot reach it. Anything else is a bare 404.
 */
export function internalApp(opts: Pick<HttpAppOptions, 'metrics' | 'readiness'>): Express {
  const app = express();
  app.disable('x-powered-by');
  mountInternalRoutes(app, opts);
  return app;
}

/** Body-parser errors carry `type`; map the ones clients cause to clear 4xx answers. */
function fromParserError(err: unknown): AppError | undefined {
  const type = (err as { type?: unknown })?.type;
  if (type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Request body too large');
  if (type === 'entity.parse.failed') return new AppError('VALIDATION', 'Malformed JSON body');
  if (typeof type === 'string' && type.startsWith('encoding.'))
    return new AppError('VALIDATION', 'Unsupported body encoding');
  if (type === 'charset.unsupported') return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported charset');
  return undefined;
}

export function errorRenderer(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const appError = fromParserError(err) ?? toAppError(err, logger);
    if (appError.code === 'RATE_LIMITED') {
      const retryAfter = (appError.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      res.setHeader('Retry-After', String(retryAfter ?? 1));
    }
    res.status(appError.status).json(toHttpBody(appError));
  };
}

/** An address a port may listen on: an IP address (`0.0.0.0` every interface, `127.0.0.1` this machine only). */
export const bindHostVar = (fallback: string) =>
  z
    .string()
    .refine((host) => isIP(host) !== 0, 'must be an IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1')
    .default(fallback);

// Every interface by default: a container's port must be reachable from its pod network.
let defaultBindHost = '0.0.0.0';

/**
 * Where `listen` binds when its caller names no address. launchService sets it once, from
 * BIND_HOST, before the service starts: one process runs one service.
 */
export function setDefaultBindHost(host: string) {
  defaultBindHost = host;
}

/** Starts listening (port 0 picks a free one) and resolves with the bound port. */
export async function listen(
  app: Express | ((req: any, res: any) => void),
  port: number,
  host: string = defaultBindHost,
) {
  const server: Server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Stops accepting connections and waits for in-flight requests, closing idle keep-alives. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
