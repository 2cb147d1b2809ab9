import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
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
  /** Serve `/metrics` on this app (default). The public edge serves them on a port of its own. */
  serveMetrics?: boolean;
}

/** The HTTP settings of every service's configuration (CORS_ORIGINS, TRUST_PROXY, BODY_LIMIT) as createHttpApp takes them. */
export const httpSettings = (config: Pick<BaseConfig, 'CORS_ORIGINS' | 'TRUST_PROXY' | 'BODY_LIMIT'>) => ({
  corsOrigins: config.CORS_ORIGINS,
  trustProxy: config.TRUST_PROXY,
  bodyLimit: config.BODY_LIMIT,
});

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
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      customProps: (_req, res) => ({ userId: (res as Response).locals?.userId }),
      serializers: { req: redactRequest },
    }),
  );
  app.use(helmet());
  const origins = opts.corsOrigins.trim() === '*' ? '*' : csv(opts.corsOrigins);
  app.use(cors({ origin: origins, exposedHeaders: ['x-request-id', 'retry-after'] }));
  app.use(opts.metrics.httpMiddleware);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const result = await runReadiness(opts.readiness);
    res.status(result.ready ? 200 : 503).json(result);
  });
  if (opts.serveMetrics !== false) app.get('/metrics', metricsHandler(opts.metrics));

  if (!opts.rawBodies) app.use(express.json({ limit: opts.bodyLimit, strict: true }));
  opts.routes(app);

  app.use((req: Request, _res: Response, next: NextFunction) =>
    next(notFound(`No route for ${req.method} ${req.path}`)),
  );
  app.use(errorRenderer(opts.logger));
  return app;
}

const metricsHandler = (metrics: Metrics) => async (_req: Request, res: Response) => {
  res.setHeader('content-type', metrics.registry.contentType);
  res.send(await metrics.registry.metrics());
};

/** Only `/metrics`, for a port that is not public (Prometheus scrapes it; clients cannot reach it). */
export function metricsApp(metrics: Metrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics));
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

/** Starts listening (port 0 picks a free one) and resolves with the bound port. */
export async function listen(app: Express | ((req: any, res: any) => void), port: number, host = '0.0.0.0') {
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
