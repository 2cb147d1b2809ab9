import type { IncomingMessage } from 'node:http';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { sharedRateLimiter, type Logger, type Redis } from '@chat/platform';
import type { GatewayConfig } from '../../config.js';
import type { GatewayServer, GatewaySocket } from '../../clients/gateway-socket.js';
import { clientAddressResolver } from './client-address-resolver.js';

type GateConfig = Pick<
  GatewayConfig,
  | 'TRUST_PROXY'
  | 'SOCKET_HANDSHAKES_PER_ADDRESS'
  | 'SOCKET_HANDSHAKE_WINDOW_S'
  | 'SOCKET_MAX_SESSIONS_PER_NODE'
  | 'SOCKET_CONNECT_TIMEOUT_MS'
>;
/** An Engine.IO session (what a handshake opens, before any Socket.IO socket joins over it). */
type Session = GatewaySocket['conn'];

export interface HandshakeGate {
  /** Engine.IO's `allowRequest`: called for each new session, before any token is seen. */
  allowRequest(req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void;
  /** Closes every session of `engine` that shows no valid token within SOCKET_CONNECT_TIMEOUT_MS. */
  watch(engine: GatewayServer['engine']): void;
  /** A valid token came over `session`: it stays open, and no longer counts against its address. */
  authenticated(session: Session): void;
}

/**
 * What an Engine.IO session costs before its token is known is bounded three ways: a draining
 * node takes none, a node takes at most SOCKET_MAX_SESSIONS_PER_NODE, and one client address
 * may open at most SOCKET_HANDSHAKES_PER_ADDRESS unauthenticated ones per window over every
 * node (counted in Redis; per node in memory while Redis is away). Sessions that show no valid
 * token within SOCKET_CONNECT_TIMEOUT_MS are dropped.
 */
export function createHandshakeGate(
  redis: Redis,
  config: GateConfig,
  opts: { isDraining: () => boolean; sessions: () => number; logger: Logger },
): HandshakeGate {
  const addressOf = clientAddressResolver(config.TRUST_PROXY);
  const limiter = sharedRateLimiter(
    redis,
    { points: config.SOCKET_HANDSHAKES_PER_ADDRESS, windowS: config.SOCKET_HANDSHAKE_WINDOW_S },
    'rl:socket-handshakes',
  );
  const authenticated = new WeakSet<Session>();
  return {
    allowRequest(req, callback) {
      if (opts.isDraining()) return callback('Server is shutting down', false);
      if (opts.sessions() >= config.SOCKET_MAX_SESSIONS_PER_NODE)
        return callback('This node is full, try again', false);
      const address = addressOf(req);
      limiter.consume(address).then(
        () => callback(null, true),
        (rejection: unknown) => {
          if (!(rejection instanceof RateLimiterRes)) {
            opts.logger.warn({ err: rejection }, 'handshake limit unavailable');
            return callback('Try again', false);
          }
          const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          callback(`Too many handshakes from your address, retry in ${retryAfterSeconds} s`, false);
        },
      );
    },
    watch(engine) {
      engine.on('connection', (session: Session) => {
        const timer = setTimeout(() => {
          // Discarding the transport drops the session at once: a long-polling session that is
          // never polled would otherwise be kept 30 s more, waiting to deliver its close packet.
          if (!authenticated.has(session)) session.close(true);
        }, config.SOCKET_CONNECT_TIMEOUT_MS);
        session.once('close', () => clearTimeout(timer));
      });
    },
    authenticated(session) {
      authenticated.add(session);
      limiter
        .reward(addressOf(session.request))
        .catch((err: unknown) => opts.logger.debug({ err }, 'handshake point not returned'));
    },
  };
}
