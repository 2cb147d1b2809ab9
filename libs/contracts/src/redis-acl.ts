/**
 * Redis ACL users, one per service that uses Redis (media-service and the edge use none), with
 * the keys, Pub/Sub channels and commands it needs and nothing else; the `default` user is off.
 * So a leaked password of one service cannot forge another's data or its broadcasts: only the
 * gateway may publish on the Socket.IO adapter's channels (a forged `message_received` to any
 * room otherwise), and nobody may flush, reconfigure, list keys or watch the server.
 *
 * Lua scripts run with their caller's permissions (Redis checks every `redis.call`), so the
 * commands a service's scripts call are listed too.
 */

/** The Redis user of each service that uses Redis. */
export const redisServiceUsers = ['chat-api', 'message-api', 'realtime-gateway'] as const;
export type RedisServiceUser = (typeof redisServiceUsers)[number];

export interface RedisAclRules {
  /** Glob patterns of the keys it may read and write (`~`). */
  keys: string[];
  /** Glob patterns of the channels it may publish and subscribe to (`&`); PSUBSCRIBE needs the exact pattern. */
  channels: string[];
  /** The only commands it may run (`+`), lowercase, `command|subcommand` for one subcommand. */
  commands: string[];
}

/** The Socket.IO Redis adapter's `key` option (realtime-gateway's create-socket-server.ts). */
export const SOCKET_IO_ADAPTER_KEY = 'socket.io';

/**
 * The adapter's channels for the default namespace: broadcasts (`<key>#/#<room>#`, which it
 * PSUBSCRIBEs to as `<key>#/#*`), requests and responses between the nodes.
 */
export const socketIoAdapterChannels = [
  `${SOCKET_IO_ADAPTER_KEY}#/#*`,
  `${SOCKET_IO_ADAPTER_KEY}-request#/#*`,
  `${SOCKET_IO_ADAPTER_KEY}-response#/#*`,
];

/** What every client sends on its own: PING, ioredis's ready check (INFO) and its connection name. */
const connection = ['ping', 'info', 'client|setname'];
/** The scripts of `redisLock` (libs/platform keyed-lock.ts). */
const keyedLock = ['eval', 'exists', 'set', 'incr', 'get', 'del'];

export const redisAclRules: Record<RedisServiceUser, RedisAclRules> = {
  'chat-api': {
    // The per-chat write lock and its fencing counter: redisLock(redis, 'chat-write').
    keys: ['chat-write:*'],
    channels: [],
    commands: [...connection, ...keyedLock],
  },
  'message-api': {
    keys: [
      'message-change:*', // redisLock(redis, 'message-change'): one writer of a chat's changes
      'chat-numbers:*', // chat-numbers.ts: a chat's seq and rev counters
      'chat-inflight:*', // chat-numbers.ts: its revs taken and not yet written
      'sends-unpublished', // chat-numbers.ts: sends whose events are not known to be out
    ],
    channels: [],
    commands: [
      ...connection,
      ...keyedLock,
      'hmget',
      'hset',
      'hincrby',
      'pexpire',
      'zadd',
      'zrange',
      'zrangebyscore',
      'zrem',
      'zremrangebyscore',
    ],
  },
  'realtime-gateway': {
    keys: [
      'presence:*', // presence-store.ts: sockets per user, users with sockets, the sweeper's lease
      'typing:*', // typing.ts: the typing throttle
      'socket:cut:*', // cut-users.ts: users cut for abuse
      'rl:socket-events:*', // guards.ts: the per-user event budget (rate-limiter-flexible)
      'rl:socket-handshakes:*', // handshake-gate.ts: unauthenticated handshakes per client address
    ],
    channels: socketIoAdapterChannels,
    commands: [
      ...connection,
      // presence-store.ts (scripts, on the Redis clock), typing.ts, cut-users.ts
      'eval',
      'time',
      'set',
      'exists',
      'del',
      'zadd',
      'zscore',
      'zcard',
      'zcount',
      'zrange',
      'zrangebyscore',
      'zrem',
      'zremrangebyscore',
      'pexpire',
      // rate-limiter-flexible: its script by EVALSHA (EVAL when not cached), reads in MULTI
      'evalsha',
      'incrby',
      'pttl',
      'expire',
      'get',
      'multi',
      'exec',
      'discard',
      // The Socket.IO adapter
      'publish',
      'subscribe',
      'psubscribe',
      'unsubscribe',
      'punsubscribe',
      'pubsub|numsub',
    ],
  },
};

/**
 * The ACL users a Sentinel set needs on each of its Redis nodes, beside the services' users
 * (the same rule shape): a replica logs in to the primary as
 * `replication` (masteruser), a sentinel to every node as `sentinel` (`sentinel auth-user`).
 * Both nodes load all of them, since either may be the primary. Commands from Redis's
 * Sentinel and replication documentation.
 */
export const redisFailoverAclRules: Record<'replication' | 'sentinel', RedisAclRules> = {
  replication: { keys: [], channels: [], commands: ['psync', 'replconf', 'ping'] },
  sentinel: {
    keys: [],
    channels: ['__sentinel__:hello'],
    commands: [
      'multi',
      'exec',
      'slaveof',
      'ping',
      'info',
      'role',
      'subscribe',
      'publish',
      'config|rewrite',
      'client|setname',
      'client|kill',
      'script|kill',
    ],
  },
};

/** The user health probes authenticate as (any password): PING and nothing else. */
export const REDIS_PROBE_USER = 'probe';

/** One user of a rendered ACL file. */
export interface RedisUser {
  user: string;
  /** The password, or `${VARIABLE}` for the deployments' start script to fill in from its environment. */
  password: string;
  /** Undefined: every key, channel and command (a test's own client). */
  rules?: RedisAclRules;
}

/** The environment variable holding a service's Redis password (deployments). */
export const redisPasswordVariable = (user: RedisServiceUser) =>
  `REDIS_PASSWORD_${user.replace(/-/g, '_').toUpperCase()}`;

const ruleOf = (rules: RedisAclRules | undefined): string =>
  rules
    ? [
        'resetkeys',
        ...rules.keys.map((k) => `~${k}`),
        'resetchannels',
        ...rules.channels.map((c) => `&${c}`),
        '-@all',
        ...rules.commands.map((c) => `+${c}`),
      ].join(' ')
    : 'allkeys allchannels +@all';

/**
 * An ACL file (`redis-server --aclfile`) or the `user` lines of a redis.conf: the `default`
 * user off, the probe user, then `users`. Redis ACL files take no comments.
 */
export function renderRedisAcl(users: RedisUser[]): string {
  for (const u of users) {
    // A password is one token of the line: whitespace or a quote would end it early.
    if (!/^[^\s"']+$/.test(u.password))
      throw new Error(`Redis password of ${u.user} must be non-empty, no spaces or quotes`);
  }
  const lines = [
    'user default off resetpass resetkeys resetchannels -@all',
    `user ${REDIS_PROBE_USER} on nopass resetkeys resetchannels -@all +ping`,
    ...users.map((u) => `user ${u.user} on resetpass >${u.password} ${ruleOf(u.rules)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Every service's user, its password a `${REDIS_PASSWORD_<SERVICE>}` placeholder. */
export const productionRedisUsers = (): RedisUser[] =>
  redisServiceUsers.map((user) => ({
    user,
    password: `\${${redisPasswordVariable(user)}}`,
    rules: redisAclRules[user],
  }));

/**
 * Where deployments find the rendered users (a test keeps each copy equal to
 * `renderRedisAcl(productionRedisUsers())`): `deploy/redis/start.sh` fills in the passwords.
 */
export const REDIS_ACL_FILES = ['deploy/redis/users.acl', 'deploy/helm/chat-platform/files/redis-users.acl'] as const;
