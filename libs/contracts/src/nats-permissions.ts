import {
  chatAccessCheck,
  chatListForUser,
  chatSubjects,
  DURABLES,
  type DurableRef,
  mediaFileCheck,
  mediaFileDelete,
  messageSubjects,
  noticeSubjects,
  STREAMS,
} from './subjects.js';
import { commandSubjects } from './commands.js';

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

/** Account info: the JetStream manager asks it once, to check that JetStream is on. */
const jetStreamInfo = '$JS.API.INFO';

/** Declaring a stream: only its owner does, at start (see each service's `ensureStreams`). */
const ownStream = (stream: string) => ['INFO', 'CREATE', 'UPDATE'].map((verb) => `$JS.API.STREAM.${verb}.${stream}`);

/**
 * Running one durable pull consumer, by its name only: create or update it (either form of the
 * API; the server checks the name and filter of the request against the subject), read its
 * info, pull from it and ack what it delivered. Not another's durable, nor a new one.
 */
const runDurable = ({ stream, name }: DurableRef) => [
  `$JS.API.CONSUMER.CREATE.${stream}.${name}`,
  `$JS.API.CONSUMER.CREATE.${stream}.${name}.>`, // with its filter subject
  `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${name}`,
  `$JS.API.CONSUMER.INFO.${stream}.${name}`,
  `$JS.API.CONSUMER.MSG.NEXT.${stream}.${name}`,
  `$JS.ACK.${stream}.${name}.>`, // ack, nak, term of its deliveries
];

/** Deleting one retired durable (a service cleaning up what an earlier version of it left). */
const deleteDurable = ({ stream, name }: DurableRef) => [
  `$JS.API.CONSUMER.INFO.${stream}.${name}`,
  `$JS.API.CONSUMER.DELETE.${stream}.${name}`,
];

/** Each service's replies arrive under its own prefix, so no other service can listen to them. */
export const natsInboxPrefix = (user: string) => `_INBOX_${user}`;
const inbox = (user: NatsServiceUser) => `${natsInboxPrefix(user)}.>`;

/**
 * What each service may publish and subscribe to: the subjects it owns (docs/architecture.md), the
 * requests it makes, the stream it owns (`STREAMS`) and its own durable consumers (`DURABLES`),
 * and replies under its own inbox prefix; it may answer the services it serves, in their inboxes
 * (`answers`). So a leaked password of one service cannot forge another's events, serve
 * another's commands (message commands trust the caller's user-id header: only the gateway may
 * send them), read another's replies, change a stream it does not own (seal it, shrink its
 * limits) or pull and ack another's durable (taking events from its projection).
 */
export const natsPermissions: Record<NatsServiceUser, NatsPermissions> = {
  'chat-api': {
    publish: [
      chatSubjects.all,
      noticeSubjects.all,
      jetStreamInfo,
      ...ownStream(STREAMS.chats.name),
      ...runDurable(DURABLES.chatProjection),
    ],
    subscribe: [chatAccessCheck.subject, chatListForUser.subject, ...chatSubjects.stateChanges, inbox('chat-api')],
    answers: ['message-api', 'media-service', 'realtime-gateway'],
  },
  'message-api': {
    publish: [
      messageSubjects.all,
      chatAccessCheck.subject,
      mediaFileCheck.subject,
      // The eraser has media-service delete the file of a message deleted for everyone.
      mediaFileDelete.subject,
      jetStreamInfo,
      ...ownStream(STREAMS.messages.name),
      ...runDurable(DURABLES.textEraser),
      // The eraser of deleted text: reads where every durable stands (read only), finds a
      // message's events by subject and deletes them one by one (stream-erasure.ts).
      `$JS.API.CONSUMER.LIST.${STREAMS.messages.name}`,
      `$JS.API.STREAM.MSG.GET.${STREAMS.messages.name}`,
      `$JS.API.STREAM.MSG.DELETE.${STREAMS.messages.name}`,
    ],
    subscribe: [...commandSubjects, ...chatSubjects.stateChanges, inbox('message-api')],
    answers: ['realtime-gateway'],
  },
  // Uses no stream: no JetStream at all.
  'media-service': {
    publish: [chatAccessCheck.subject],
    subscribe: [mediaFileCheck.subject, mediaFileDelete.subject, inbox('media-service')],
    answers: ['message-api'],
  },
  'realtime-gateway': {
    publish: [
      chatAccessCheck.subject,
      chatListForUser.subject,
      ...commandSubjects,
      jetStreamInfo,
      ...runDurable(DURABLES.roomExits),
      ...deleteDurable(DURABLES.retiredMessageBroadcast), // broadcast.ts
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
