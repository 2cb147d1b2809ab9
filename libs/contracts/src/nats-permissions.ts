import {
  chatAccessCheck,
  chatListForUser,
  chatSubjects,
  mediaFileCheck,
  messageDelete,
  messageDelivered,
  messageEdit,
  messageRead,
  messageReact,
  messageSend,
  messageSendMedia,
  messageSubjects,
  messageUnreact,
  noticeSubjects,
  STREAMS,
} from './subjects.js';

/** The NATS user of each service that talks over NATS (the edge does not). */
export const natsServiceUsers = ['chat-api', 'message-api', 'media-service', 'realtime-gateway'] as const;
export type NatsServiceUser = (typeof natsServiceUsers)[number];

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /**
   * The services whose requests it answers: it may publish to their inboxes. Replies go by this
   * explicit permission, not `allow_responses`: with that, the server keeps the reply subject of
   * every message the service receives (JetStream deliveries too, whose acks go by the publish
   * permission and are never counted against them) and, past 4,096 kept, walks the whole list on
   * every delivery, so NATS's CPU per message grew with the traffic behind it.
   */
  answers: readonly NatsServiceUser[];
}

const messageCommands = [
  messageSend,
  messageSendMedia,
  messageEdit,
  messageDelete,
  messageReact,
  messageUnreact,
  messageRead,
  messageDelivered,
].map((d) => d.subject);

/** JetStream API subjects a service needs to declare the streams (every service does, idempotently). */
const declareStreams = [
  '$JS.API.INFO',
  ...Object.values(STREAMS).flatMap((s) =>
    ['INFO', 'CREATE', 'UPDATE'].map((verb) => `$JS.API.STREAM.${verb}.${s.name}`),
  ),
];

/** JetStream API subjects a service needs to run durable pull consumers of `stream` and ack them. */
const consumeStream = (stream: string) => [
  `$JS.API.CONSUMER.*.${stream}.>`, // INFO, CREATE, DELETE <stream>.<durable>[.<filter>]
  `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
  `$JS.API.CONSUMER.LIST.${stream}`,
  `$JS.ACK.${stream}.>`,
];

/** Each service's replies arrive under its own prefix, so no other service can listen to them. */
export const natsInboxPrefix = (user: string) => `_INBOX_${user}`;
const inbox = (user: NatsServiceUser) => `${natsInboxPrefix(user)}.>`;

/**
 * What each service may publish and subscribe to: the subjects it owns (ARCHITECTURE.md), the
 * requests it makes, the streams it consumes, and replies under its own inbox prefix; it may
 * answer the services it serves, in their inboxes (`answers`). So a leaked password of one service
 * cannot forge another's events, serve another's commands (message commands trust the
 * caller's user-id header: only the gateway may send them) or read another's replies.
 */
export const natsPermissions: Record<NatsServiceUser, NatsPermissions> = {
  'chat-api': {
    publish: [chatSubjects.all, noticeSubjects.all, ...declareStreams, ...consumeStream(STREAMS.messages.name)],
    subscribe: [chatAccessCheck.subject, chatListForUser.subject, ...chatSubjects.stateChanges, inbox('chat-api')],
    answers: ['message-api', 'media-service', 'realtime-gateway'],
  },
  'message-api': {
    publish: [
      messageSubjects.all,
      chatAccessCheck.subject,
      mediaFileCheck.subject,
      ...declareStreams,
      ...consumeStream(STREAMS.messages.name),
      // The eraser of deleted text: finds a message's events by subject and deletes them one by one.
      `$JS.API.STREAM.MSG.GET.${STREAMS.messages.name}`,
      `$JS.API.STREAM.MSG.DELETE.${STREAMS.messages.name}`,
    ],
    subscribe: [...messageCommands, ...chatSubjects.stateChanges, inbox('message-api')],
    answers: ['realtime-gateway'],
  },
  'media-service': {
    publish: [chatAccessCheck.subject, ...declareStreams],
    subscribe: [mediaFileCheck.subject, inbox('media-service')],
    answers: ['message-api'],
  },
  'realtime-gateway': {
    publish: [
      chatAccessCheck.subject,
      chatListForUser.subject,
      ...messageCommands,
      ...declareStreams,
      // Deletes the durable of the live fan-out it no longer runs (broadcast.ts).
      ...consumeStream(STREAMS.messages.name),
      ...consumeStream(STREAMS.chats.name),
    ],
    // Live fan-out on core NATS: the message events of its sockets' chats, their users' notices.
    subscribe: [messageSubjects.all, noticeSubjects.all, inbox('realtime-gateway')],
    answers: [],
  },
};

/** One user of the rendered configuration: `password` is a literal or a `$VARIABLE` of the server's environment. */
export interface NatsUser {
  user: string;
  password: string;
  /** Undefined: everything (a test's own client). */
  permissions?: NatsPermissions;
}

/** The environment variable holding a service's NATS password in the rendered configuration. */
export const natsPasswordVariable = (user: NatsServiceUser) => `NATS_PASSWORD_${user.replace(/-/g, '_').toUpperCase()}`;

const quoted = (s: string) => JSON.stringify(s);
const list = (items: string[]) => `[${items.map(quoted).join(', ')}]`;

/** The `authorization` block of a nats-server configuration for these users. */
export function renderNatsAuthorization(users: NatsUser[]): string {
  const lines = users.map((u) => {
    const password = u.password.startsWith('$') ? u.password : quoted(u.password);
    const perms = u.permissions
      ? `, permissions: { publish: { allow: ${list([...u.permissions.publish, ...u.permissions.answers.map(inbox)])} }, subscribe: { allow: ${list(u.permissions.subscribe)} } }`
      : '';
    return `    { user: ${quoted(u.user)}, password: ${password}${perms} }`;
  });
  return `authorization {\n  users: [\n${lines.join('\n')}\n  ]\n}\n`;
}

/** Every service's user, with its password read from the server's environment (`natsPasswordVariable`). */
export const productionNatsUsers = (): NatsUser[] =>
  natsServiceUsers.map((user) => ({
    user,
    password: `$${natsPasswordVariable(user)}`,
    permissions: natsPermissions[user],
  }));

/** A member of a NATS cluster: its name, its route port, and every member's route URL. */
export interface NatsClusterMember {
  name: string;
  routePort: number;
  routes: string[];
}

/**
 * A whole nats-server configuration on loopback with JetStream and these users, for the local
 * stack and the tests (deployments take `deploy/nats/auth.conf` and their own server settings).
 */
export function renderNatsServerConfig(opts: {
  port: number;
  storeDir: string;
  users: NatsUser[];
  cluster?: NatsClusterMember;
}): string {
  const cluster = opts.cluster
    ? `server_name: ${quoted(opts.cluster.name)}\ncluster { name: "chat", listen: ${quoted(`127.0.0.1:${opts.cluster.routePort}`)}, routes: ${list(opts.cluster.routes)} }\n`
    : '';
  return `listen: ${quoted(`127.0.0.1:${opts.port}`)}\njetstream { store_dir: ${quoted(opts.storeDir)} }\n${cluster}${renderNatsAuthorization(opts.users)}`;
}

/** Where deployments find the rendered users (a test keeps each copy equal to `renderDeployedNatsAuth`). */
export const NATS_AUTH_FILES = ['deploy/nats/auth.conf', 'deploy/helm/chat-platform/files/nats-auth.conf'] as const;

/** The `authorization` block every deployment's NATS includes: `nats-server -c auth.conf -js ...`. */
export const renderDeployedNatsAuth = (): string =>
  [
    '# Generated from libs/contracts/src/nats-permissions.ts by `node deploy/nats/render-auth.mjs`: do not edit.',
    "# Every service's NATS user; the server reads each password from its environment:",
    `# ${natsServiceUsers.map(natsPasswordVariable).join(', ')}.`,
    renderNatsAuthorization(productionNatsUsers()),
  ].join('\n');
