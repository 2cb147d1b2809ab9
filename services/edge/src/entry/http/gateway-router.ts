import type { IncomingMessage } from 'node:http';
import { csv } from '@chat/platform';

export interface GatewayNode {
  id: string | null;
  url: string;
}

/** `gw1=http://a:3004,http://b:3004` -> [{ id: 'gw1', url }, { id: null, url }] */
export function parseGatewayNodes(value: string): GatewayNode[] {
  const nodes = csv(value).map((entry) => {
    const eq = entry.indexOf('=');
    return eq > 0 ? { id: entry.slice(0, eq), url: entry.slice(eq + 1) } : { id: null, url: entry };
  });
  if (nodes.length === 0) throw new Error('GATEWAY_NODES: at least one gateway is required');
  for (const n of nodes) new URL(n.url); // throws on a bad url at start, not on first request
  return nodes;
}

/**
 * Picks the gateway node for a Socket.IO request. Gateways prefix their Engine.IO session
 * ids with their node id (`gw1.xxxx`), so every long-polling request and the WebSocket
 * upgrade of a session go back to the node that holds it; a new session goes round-robin.
 * `nodes` is read per request: discovery may change it. Undefined when there is none.
 */
export function createGatewayRouter(nodes: () => GatewayNode[]) {
  let next = 0;
  return (req: IncomingMessage): string | undefined => {
    const current = nodes();
    if (current.length === 0) return undefined;
    const sid = new URL(req.url ?? '/', 'http://edge').searchParams.get('sid');
    const prefix = sid ? sid.slice(0, sid.indexOf('.')) : undefined;
    const owner = prefix ? current.find((n) => n.id === prefix) : undefined;
    if (owner) return owner.url;
    return (current[next++ % current.length] as GatewayNode).url;
  };
}
