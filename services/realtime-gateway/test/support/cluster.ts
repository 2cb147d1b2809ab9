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
  const config = parseConfig(gatewayConfigSchema, { ...infra.env, PORT: '0', GATEWAY_NODE_ID: nodeId, ...env });
  const gw = await startRealtimeGateway(config, createLogger('realtime-gateway', infra.env.LOG_LEVEL ?? 'silent'));
  return { ...gw, url: `http://127.0.0.1:${gw.port}` };
}

/** Every event a socket received, in order, for "got it" and "never got it" assertions. */
export function recordEvents(socket: Socket): { event: string; payload: any }[] {
  const log: { event: string; payload: any }[] = [];
  socket.onAny((event: string, payload: unknown) => log.push({ event, payload }));
  return log;
}

/** A socket.io-client that reconnects by itself (as browsers do), resolving once first connected. */
export function connectReconnecting(url: string, token: string, transports: ('polling' | 'websocket')[] = ['polling', 'websocket']): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports, forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500, timeout: 3_000 });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
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
