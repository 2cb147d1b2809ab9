import { serviceUserEnv } from '@chat/testkit';
import { io, type Socket } from 'socket.io-client';
import { createLogger, parseConfig } from '@chat/platform';
import type { TestInfra } from '@chat/testkit';
import { gatewayConfigSchema } from '../../src/config.js';
import { startRealtimeGateway, type RunningGateway } from '../../src/app.js';

export interface TestNode extends RunningGateway {
  url: string;
}

/** A gateway node in the test process, on a free port, against the test's infrastructure. */
export async function startNode(infra: TestInfra, nodeId: string, env: Record<string, string> = {}): Promise<TestNode> {
  const config = parseConfig(gatewayConfigSchema, {
    ...infra.env,
    ...serviceUserEnv('realtime-gateway'),
    PORT: '0',
    GATEWAY_NODE_ID: nodeId,
    ...env,
  });
  const gw = await startRealtimeGateway(config, createLogger('realtime-gateway', infra.env.LOG_LEVEL ?? 'silent'));
  return { ...gw, url: `http://127.0.0.1:${gw.port}` };
}

/** Every event a socket received, in order, for "got it" and "never got it" assertions. */
export function recordEvents(socket: Socket): { event: string; payload: any }[] {
  const log: { event: string; payload: any }[] = [];
  socket.onAny((event: string, payload: unknown) => log.push({ event, payload }));
  return log;
}

/**
 * A socket.io-client that reconnects by itself (as browsers do). Resolves once connected;
 * connect errors are retried by the client, so only `timeoutMs` without a connection fails.
 */
export function connectReconnecting(
  url: string,
  token: string,
  opts: { reconnectionDelayMs?: number; timeoutMs?: number } = {},
): Promise<Socket> {
  const delay = opts.reconnectionDelayMs ?? 100;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const socket = io(url, {
    auth: { token },
    transports: ['polling', 'websocket'],
    forceNew: true,
    reconnectionDelay: delay,
    reconnectionDelayMax: Math.max(delay, 500),
    randomizationFactor: 0,
    timeout: 3_000,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no connection to ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}
