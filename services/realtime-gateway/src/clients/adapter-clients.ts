import type { Logger, Redis } from '@chat/platform';

/**
 * The Redis adapter's own connections: a subscriber, and a publisher whose failed PUBLISH is
 * logged. The adapter drops the promises of its publishes (socketio/socket.io-redis-emitter#139
 * describes the same in its sibling), so while Redis is down each would be an unhandled
 * rejection that ends the process; the broadcast is lost instead, as the adapter documents, and
 * clients catch up through /changes.
 */
export function adapterClients(redis: Redis, logger: Logger): { pub: Redis; sub: Redis } {
  const pub = redis.duplicate();
  const sub = redis.duplicate();
  pub.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis (adapter publisher) error'));
  sub.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis (subscriber) error'));
  const publish = pub.publish.bind(pub) as (channel: string, message: string) => Promise<number>;
  pub.publish = ((channel: string, message: string) => {
    const sent = publish(channel, message);
    sent.catch((err: unknown) => logger.warn({ err: (err as Error).message, channel }, 'broadcast not published'));
    return sent;
  }) as typeof pub.publish;
  return { pub, sub };
}
