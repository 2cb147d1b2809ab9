import { unavailable } from '@chat/platform';

const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
]);

/** A database that is down or unreachable is a 503 the client may retry, not a 500. */
export function asUnavailable(err: unknown): unknown {
  const e = err as { name?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return err;
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name))
    return unavailable('The message store is unavailable, try again');
  if (typeof e.message === 'string' && e.message.includes('buffering timed out'))
    return unavailable('The message store is unavailable, try again');
  return err;
}

/** Runs `fn`, turning storage outages into UNAVAILABLE. */
export async function mappingOutages<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asUnavailable(err);
  }
}
