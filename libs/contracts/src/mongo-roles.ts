/**
 * MongoDB users, one per service that owns collections (docs/architecture.md: no service reads
 * another's), each with a role reaching its own collections only. Deployments create them with
 * the script `renderMongoServiceUsersScript` writes (docker-compose's first start, the chart's
 * MongoDB pod; by hand for a MongoDB of your own). FerretDB 1.24 has no user management, so the
 * local stack and the tests run without them.
 */

/** The MongoDB user of each service that owns collections (the gateway and the edge own none). */
export const mongoServiceUsers = ['chat-api', 'message-api', 'media-service'] as const;
export type MongoServiceUser = (typeof mongoServiceUsers)[number];

/** Each service's collections (its data/ modules' mongoose models and driver collections). */
export const mongoCollections: Record<MongoServiceUser, readonly string[]> = {
  'chat-api': ['chats'],
  'message-api': ['messages', 'read_outbox', 'send_outbox', 'chat_revs', 'migrations'],
  'media-service': ['media_files', 'media_upload_holds'],
};

/**
 * What a service may do on each of its collections: read and write documents, and keep its own
 * indexes (syncIndexes / createIndexes at start, retired indexes dropped). Unlike the built-in
 * readWrite: no dropCollection, rename, convertToCapped, nor anything on other collections.
 */
export const MONGO_COLLECTION_ACTIONS = [
  'find',
  'insert',
  'update',
  'remove',
  'createCollection',
  'createIndex',
  'dropIndex',
  'listIndexes',
  'collStats',
  'killCursors',
] as const;

/** The environment variable holding a service's MongoDB password (deployments). */
export const mongoPasswordVariable = (user: MongoServiceUser) =>
  `MONGO_PASSWORD_${user.replace(/-/g, '_').toUpperCase()}`;
/** A service's role: `<service>-collections`, in the services' database. */
export const mongoRoleName = (user: MongoServiceUser) => `${user}-collections`;

/** The privileges of a service's role in database `db`. */
export const mongoPrivileges = (user: MongoServiceUser, db: string) =>
  mongoCollections[user].map((collection) => ({
    resource: { db, collection },
    actions: [...MONGO_COLLECTION_ACTIONS],
  }));

/** Where deployments find the script (a test keeps each copy equal to `renderMongoServiceUsersScript`). */
export const MONGO_USERS_FILES = [
  'deploy/mongo/service-users.js',
  'deploy/helm/chat-platform/files/mongo-service-users.js',
] as const;

/**
 * A mongosh script that creates, or brings up to date, each service's role and user in the
 * services' database (MONGO_DATABASE, default `chat`; users authenticate there, the default
 * authSource of a `mongodb://…/chat` URL), each password from MONGO_PASSWORD_<SERVICE>.
 * Run it as a user administrator: `mongosh "$ADMIN_URL" deploy/mongo/service-users.js`.
 */
export function renderMongoServiceUsersScript(): string {
  const services = mongoServiceUsers.map((user) => ({
    user,
    role: mongoRoleName(user),
    passwordVariable: mongoPasswordVariable(user),
    collections: mongoCollections[user],
  }));
  return `// Generated from libs/contracts/src/mongo-roles.ts by \`node deploy/mongo/render-users.mjs\`: do not edit.
// Creates, or brings up to date, one role and one user per service in the services' database
// (MONGO_DATABASE, default chat): each role reaches only that service's collections. Passwords come
// from this shell's environment: ${mongoServiceUsers.map(mongoPasswordVariable).join(', ')}.
// Run as a user administrator, e.g. mongosh "mongodb://root:...@host/admin" service-users.js.
const services = ${JSON.stringify(services, null, 2)};
const actions = ${JSON.stringify(MONGO_COLLECTION_ACTIONS)};
const chat = db.getSiblingDB(process.env.MONGO_DATABASE || 'chat');
for (const s of services) {
  const pwd = process.env[s.passwordVariable];
  if (!pwd) throw new Error(s.passwordVariable + ' is not set');
  const privileges = s.collections.map((collection) => ({ resource: { db: chat.getName(), collection }, actions }));
  if (chat.getRole(s.role)) chat.updateRole(s.role, { privileges, roles: [] });
  else chat.createRole({ role: s.role, privileges, roles: [] });
  if (chat.getUser(s.user)) chat.updateUser(s.user, { pwd, roles: [s.role] });
  else chat.createUser({ user: s.user, pwd, roles: [s.role] });
  print('MongoDB user ' + s.user + ': ' + s.collections.join(', '));
}
`;
}
