import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { baseConfigSchema, bindHostVar, DEV_JWT_SECRET, portVar } from '@chat/platform';

/** The edge verifies nothing itself and touches no database: it only needs where to route. */
export const edgeConfigSchema = baseConfigSchema
  .pick({ NODE_ENV: true, LOG_LEVEL: true, CORS_ORIGINS: true, TRUST_PROXY: true, SHUTDOWN_TIMEOUT_MS: true })
  .extend({
    PORT: portVar(8080),
    /** Where PORT listens: every interface (the public entry). */
    BIND_HOST: bindHostVar('0.0.0.0'),
    CHAT_API_URL: z.string().url().default('http://127.0.0.1:3001'),
    MESSAGE_API_URL: z.string().url().default('http://127.0.0.1:3002'),
    MEDIA_SERVICE_URL: z.string().url().default('http://127.0.0.1:3003'),
    /** `id=url` pairs (sticky long-polling by session id) or plain urls, comma separated. */
    GATEWAY_NODES: z.string().default('gw1=http://127.0.0.1:3004,gw2=http://127.0.0.1:3005'),
    /**
     * A headless Service of the gateway pods (Kubernetes): its SRV records `_http._tcp.<name>`
     * list every pod by name, re-read every GATEWAY_DISCOVERY_INTERVAL_MS. Replaces GATEWAY_NODES.
     */
    GATEWAY_SERVICE: z.string().min(1).optional(),
    GATEWAY_DISCOVERY_INTERVAL_MS: z.coerce.number().int().positive().default(5_000),
    PROXY_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
    /**
     * The internal port: `/healthz`, `/readyz` (the orchestrator's probes) and `/metrics`, none of
     * which the public PORT serves (0: a free port, logged at start).
     */
    METRICS_PORT: portVar(9464),
    /** Where METRICS_PORT listens: every interface (kubelet and Prometheus come from the pod network); `npm start` sets 127.0.0.1. */
    METRICS_BIND_HOST: bindHostVar('0.0.0.0'),
    /**
     * The edge verifies no token: JWT_SECRET is only compared with the development secret. While
     * it is that one (`npm start` without a secret of its own), the edge serves the local users'
     * tokens `npm start` writes (`/dev-users.json`); otherwise never, whatever the folder holds.
     */
    JWT_SECRET: z.string().optional(),
    /** The built web client served at `/` (nothing is served there when it holds no index.html). */
    WEB_CLIENT_DIR: z.string().default(fileURLToPath(new URL('../../../clients/web/dist', import.meta.url))),
  });
export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

/** Whether the edge runs with the public development secret (only then is `/dev-users.json` served). */
export const usesDevelopmentSecret = (config: Pick<EdgeConfig, 'JWT_SECRET'>) => config.JWT_SECRET === DEV_JWT_SECRET;
