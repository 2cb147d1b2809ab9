import { promises as dns, type SrvRecord } from 'node:dns';
import type { Logger } from '@chat/platform';
import type { GatewayNode } from './gateway-router.js';

export interface GatewayDiscovery {
  /** The gateway nodes found last (the last good answer is kept while DNS fails). */
  nodes(): GatewayNode[];
  stop(): void;
}

/**
 * Finds every gateway pod behind a headless Service by its DNS SRV records
 * (`_http._tcp.<service>`): each target is a pod's own name (`realtime-gateway-2.<service>`),
 * whose first label is its GATEWAY_NODE_ID, so long-polling requests reach the pod that owns
 * their session and new pods take new sessions as soon as DNS lists them.
 */
export async function discoverGateways(opts: {
  service: string;
  intervalMs: number;
  logger: Logger;
  resolveSrv?: (name: string) => Promise<SrvRecord[]>;
}): Promise<GatewayDiscovery> {
  const resolveSrv = opts.resolveSrv ?? ((name: string) => dns.resolveSrv(name));
  let nodes: GatewayNode[] = [];
  const refresh = async () => {
    try {
      const records = await resolveSrv(`_http._tcp.${opts.service}`);
      const found = records
        .map((r) => ({ id: r.name.split('.')[0] ?? r.name, url: `http://${r.name}:${r.port}` }))
        .sort((a, b) => a.id.localeCompare(b.id));
      if (found.map((n) => n.url).join() !== nodes.map((n) => n.url).join()) {
        opts.logger.info({ gateways: found.map((n) => n.id) }, 'gateway nodes changed');
      }
      nodes = found;
    } catch (err) {
      opts.logger.warn(
        { err: (err as Error).message, service: opts.service },
        'gateway discovery failed; keeping the last nodes',
      );
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), opts.intervalMs);
  timer.unref();
  return { nodes: () => nodes, stop: () => clearInterval(timer) };
}
