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
 */
export function createGatewayRouter(nodes: GatewayNode[]) {
  let next = 0;
  const byId = new Map(nodes.filter((n) => n.id).map((n) => [n.id as string, n.url]));
  return (req: IncomingMessage): string => {
    const sid = new URL(req.url ?? '/', 'http://edge').searchParams.get('sid');
    const owner = sid ? byId.get(sid.slice(0, sid.indexOf('.'))) : undefined;
    if (owner) return owner;
    const node = nodes[next++ % nodes.length] as GatewayNode;
    return node.url;
  };
}
