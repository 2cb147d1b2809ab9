import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * The address of the client behind a request, by the same rule express applies to REST
 * (TRUST_PROXY): X-Forwarded-For is read from the right, hop by hop, only while the hop that
 * wrote it is trusted. Behind the edge (which appends the address it saw) that is the real
 * client's address, not the edge's; a client cannot pick its own by sending the header itself.
 * @example const addressOf = clientAddressResolver('loopback, uniquelocal'); addressOf(req);
 */
export function clientAddressResolver(trustProxy: string): (req: IncomingMessage) => string {
  // As express compiles `trust proxy` from a string: comma-separated names, addresses or ranges.
  const trusted = trustProxy.trim() === 'false' ? [] : trustProxy.split(',').map((s) => s.trim());
  const trust = proxyAddr.compile(trusted);
  return (req) => {
    try {
      return proxyAddr(req, trust) ?? 'unknown';
    } catch {
      // A socket already closed has no address: one key for all such (they are refused anyway).
      return 'unknown';
    }
  };
}
