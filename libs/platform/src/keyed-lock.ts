import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { unavailable } from './errors.js';

/**
 * Runs writes one at a time per key (a chat id). MongoDB applies each update atomically, but
 * FerretDB 1.24 reads, modifies and writes a document back without a row lock: concurrent
 * updates of one document silently lose writes. Writers that change an existing document
 * therefore take the document's key first.
 */
export interface KeyedLock {
  /** Runs `write` holding `key`; `fence` grows with every acquisition of that key (0 in-process). */
  run<T>(key: string, write: (fence: number) => Promise<T>): Promise<T>;
}

/** One write per key at a time within this process (a promise chain per key). */
export function processLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(key, write) {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      try {
        return await write(0);
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}

// Takes the lock when free; answers the new fencing token (a per-key counter), or 0 when held.
// A counter Redis lost (restart without persistence) starts again from the clock (ARGV[3],
// microseconds), so tokens keep growing across the loss. A counter that went back in time (a
// replica promoted before it had the last increments) is raised to when this client connected
// (ARGV[4], microseconds): every failover reconnects the clients, so no token after it can be
// "exactly one more" than one handed out before it.
const ACQUIRE = `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
local counter = tonumber(redis.call('get', KEYS[2]))
if counter == nil then redis.call('set', KEYS[2], ARGV[3])
elseif counter < tonumber(ARGV[4]) then redis.call('set', KEYS[2], ARGV[4]) end
local fence = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. ':' .. string.format('%.0f', fence), 'PX', ARGV[2])
return fence`;
// Releases only our own hold: a lock that expired and was taken over is left to its new owner.
const RELEASE = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

/**
 * One writer per key across every replica, held in Redis (never in the document store: a lease
 * document on FerretDB costs several round trips and its owner check is not atomic). Each hold
 * gets a fencing token that only grows, so a writer can tell whether anyone held the key since
 * its own last hold (the token is exactly one more) or a newer holder's work from its own.
 * A hold left by a crashed replica expires after `leaseMs`; a writer that cannot get the key
 * within `waitMs` gets a 503. Same-process writers queue in memory, so only one of them polls.
 * @example const lock = redisLock(redis, 'msg-lock'); await lock.run(chatId, (fence) => write(fence));
 */
export function redisLock(redis: Redis, prefix: string, opts: { leaseMs?: number; waitMs?: number } = {}): KeyedLock {
  const leaseMs = opts.leaseMs ?? 10_000;
  const waitMs = opts.waitMs ?? 2_000;
  const local = processLock();
  const owner = randomUUID();
  let connectedAt = Date.now() * 1000;
  redis.on('ready', () => (connectedAt = Date.now() * 1000));

  async function acquire(key: string): Promise<number> {
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const fence = Number(
        await redis
          .eval(
            ACQUIRE,
            2,
            `${prefix}:${key}`,
            `${prefix}:fence:${key}`,
            owner,
            leaseMs,
            Date.now() * 1000,
            connectedAt,
          )
          .catch(() => {
            // Redis down: a 503 the client may retry, like any other dependency outage.
            throw unavailable('The coordination store is unavailable, try again');
          }),
      );
      if (fence > 0) return fence;
      if (Date.now() > deadline) throw unavailable('This chat is busy, try again');
      await new Promise((r) => setTimeout(r, Math.min(20, 1 + attempt) * (0.5 + Math.random())));
    }
  }

  return {
    run: (key, write) =>
      local.run(key, async () => {
        const fence = await acquire(key);
        try {
          return await write(fence);
        } finally {
          await redis.eval(RELEASE, 1, `${prefix}:${key}`, `${owner}:${fence}`).catch(() => undefined);
        }
      }),
  };
}
