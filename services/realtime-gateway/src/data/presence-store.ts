import type { Redis } from '@chat/platform';

/*
 * Presence in Redis, per socket with an expiry, so a node that dies cannot leave users online:
 *   presence:u:<userId>        sorted set  socketId -> expiresAt (ms, Redis clock)
 *   presence:users             sorted set  userId   -> latest expiresAt of that user (what the sweeper scans)
 *   presence:pending:<userId>  sorted set  socketId -> expiresAt of a slot reserved during a handshake
 * Each script runs atomically, so two sockets of one user on two nodes never both look "first",
 * and handshakes racing on any number of nodes never reserve more slots than the user may hold.
 * A reserved slot becomes the socket's presence entry when it connects (TOUCH), or goes when the
 * handshake fails (RELEASE) or, if its node died meanwhile, when it expires. Reserved slots do not
 * make a user online: only connected sockets do.
 */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Adds or refreshes a socket (taking over its reserved slot); returns { live sockets of the user besides this one, whether this one was already live }. */
const TOUCH = `${NOW}
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local existed = redis.call('ZSCORE', KEYS[1], ARGV[1]) and 1 or 0
local others = redis.call('ZCARD', KEYS[1]) - existed
local exp = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], exp, ARGV[1])
redis.call('ZADD', KEYS[2], 'GT', exp, ARGV[2])
return { others, existed }`;

/** Removes a socket (and its reserved slot, if it never connected); returns how many live sockets the user has left. */
const REMOVE = `${NOW}
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[1]); redis.call('ZREM', KEYS[2], ARGV[2]) end
return left`;

/** Drops a user's expired sockets; returns 1 if that left the user with none (now offline). */
const SWEEP = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1]); redis.call('ZREM', KEYS[2], ARGV[1]); return 1
end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('ZADD', KEYS[2], top[2], ARGV[1])
return 0`;

/** Users whose latest expiry has passed (candidates for the sweeper). */
const DUE = `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))`;

/** Reserves a slot for a socket being handshaken unless live sockets and reserved slots reach ARGV[2]; 1 if reserved. */
const RESERVE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[2], math.ceil(tonumber(ARGV[3]) / 1000))
return 1`;

/** Live sockets of a user. */
const LIVE = `${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`;

const USERS = 'presence:users';
const userKey = (userId: string) => `presence:u:${userId}`;
const pendingKey = (userId: string) => `presence:pending:${userId}`;

export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  /** Registers or refreshes one socket; `cameOnline` when it is the user's only live socket and was not live before. */
  async touch(userId: string, socketId: string): Promise<{ cameOnline: boolean }> {
    const [others, existed] = (await this.redis.eval(
      TOUCH,
      3,
      userKey(userId),
      USERS,
      pendingKey(userId),
      socketId,
      userId,
      this.ttlMs,
    )) as [number, number];
    return { cameOnline: others === 0 && existed === 0 };
  }

  /** Removes one socket; `wentOffline` when it was the user's last live socket. */
  async remove(userId: string, socketId: string): Promise<{ wentOffline: boolean }> {
    const left = (await this.redis.eval(
      REMOVE,
      3,
      userKey(userId),
      USERS,
      pendingKey(userId),
      socketId,
      userId,
    )) as number;
    return { wentOffline: left === 0 };
  }

  /**
   * Reserves one of the user's `max` socket slots for a handshake, atomically over every node:
   * false when live sockets and other reservations already fill them. The slot is held for
   * `holdMs` unless the socket connects (`touch`) or it is released first.
   */
  async reserveSlot(userId: string, socketId: string, max: number, holdMs: number): Promise<boolean> {
    return (await this.redis.eval(RESERVE, 2, userKey(userId), pendingKey(userId), socketId, max, holdMs)) === 1;
  }

  /** Gives back a slot reserved for a handshake that did not end in a connection. */
  async releaseSlot(userId: string, socketId: string): Promise<void> {
    await this.redis.zrem(pendingKey(userId), socketId);
  }

  /** Users whose every socket has expired (e.g. their node died); each is returned once. */
  async sweepExpired(batch = 500): Promise<string[]> {
    const due = (await this.redis.eval(DUE, 1, USERS, batch)) as string[];
    const offline: string[] = [];
    for (const userId of due) {
      const gone = (await this.redis.eval(SWEEP, 2, userKey(userId), USERS, userId)) as number;
      if (gone === 1) offline.push(userId);
    }
    return offline;
  }

  /** True for the one node that may sweep during the next `ms` (a lease in Redis). */
  async acquireSweepLease(nodeId: string, ms: number): Promise<boolean> {
    return (await this.redis.set('presence:sweeper', nodeId, 'PX', ms, 'NX')) === 'OK';
  }

  /** How many live sockets the user has now, over every node (by the Redis clock, like the expiries). */
  async liveSockets(userId: string): Promise<number> {
    return (await this.redis.eval(LIVE, 1, userKey(userId))) as number;
  }

  /** Whether the user has a live socket now. */
  async isOnline(userId: string): Promise<boolean> {
    return (await this.liveSockets(userId)) > 0;
  }
}
