import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import type { SrvRecord } from 'node:dns';
import { createLogger } from '@chat/platform';
import { discoverGateways } from '../src/entry/http/gateway-discovery.js';
import { createGatewayRouter } from '../src/entry/http/gateway-router.js';

const HEADLESS = 'realtime-gateway-headless.chat.svc.cluster.local';
const pod = (n: number): SrvRecord => ({ name: `realtime-gateway-${n}.${HEADLESS}`, port: 3004, priority: 0, weight: 100 });
const request = (url: string) => ({ url }) as IncomingMessage;

describe('gateway discovery by DNS SRV records (a StatefulSet behind a headless Service)', () => {
  it('routes each session to its pod by name and deals new sessions over every pod, following DNS as pods come and go', async () => {
    let answer: SrvRecord[] | Error = [pod(1), pod(0), pod(2)];
    const asked: string[] = [];
    const discovery = await discoverGateways({
      service: HEADLESS,
      intervalMs: 20,
      logger: createLogger('edge-test', 'silent'),
      resolveSrv: async (name) => {
        asked.push(name);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    try {
      expect(asked[0]).toBe(`_http._tcp.${HEADLESS}`);
      expect(discovery.nodes().map((n) => n.id)).toEqual(['realtime-gateway-0', 'realtime-gateway-1', 'realtime-gateway-2']);
      const route = createGatewayRouter(discovery.nodes);
      expect(route(request('/socket.io/?EIO=4&transport=polling&sid=realtime-gateway-2.abc'))).toBe(
        `http://realtime-gateway-2.${HEADLESS}:3004`,
      );
      const fresh = new Set([1, 2, 3].map(() => route(request('/socket.io/?EIO=4&transport=polling'))));
      expect(fresh.size).toBe(3);

      answer = [pod(0), pod(1), pod(2), pod(3)]; // scaled up
      await new Promise((r) => setTimeout(r, 100));
      expect(route(request('/socket.io/?sid=realtime-gateway-3.xyz'))).toBe(`http://realtime-gateway-3.${HEADLESS}:3004`);

      answer = new Error('SERVFAIL'); // DNS hiccup: the last good answer stays
      await new Promise((r) => setTimeout(r, 100));
      expect(discovery.nodes()).toHaveLength(4);

      answer = []; // every pod gone: nothing to route to
      await new Promise((r) => setTimeout(r, 100));
      expect(route(request('/socket.io/?EIO=4&transport=polling'))).toBeUndefined();
    } finally {
      discovery.stop();
    }
  });
});
