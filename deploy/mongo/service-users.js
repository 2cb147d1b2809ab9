// Generated from libs/contracts/src/mongo-roles.ts by `node deploy/mongo/render-users.mjs`: do not edit.
// Creates, or brings up to date, one role and one user per service in the services' database
// (MONGO_DATABASE, default chat): each role reaches only that service's collections. Passwords come
// from this shell's environment: MONGO_PASSWORD_CHAT_API, MONGO_PASSWORD_MESSAGE_API, MONGO_PASSWORD_MEDIA_SERVICE.
// Run as a user administrator, e.g. mongosh "mongodb://root:...@host/admin" service-users.js.
const services = [
  {
    "user": "chat-api",
    "role": "chat-api-collections",
    "passwordVariable": "MONGO_PASSWORD_CHAT_API",
    "collections": [
      "chats"
    ]
  },
  {
    "user": "message-api",
    "role": "message-api-collections",
    "passwordVariable": "MONGO_PASSWORD_MESSAGE_API",
    "collections": [
      "messages",
      "read_outbox",
      "send_outbox",
      "chat_revs",
      "migrations"
    ]
  },
  {
    "user": "media-service",
    "role": "media-service-collections",
    "passwordVariable": "MONGO_PASSWORD_MEDIA_SERVICE",
    "collections": [
      "media_files",
      "media_upload_holds"
    ]
  }
];
const actions = ["find","insert","update","remove","createCollection","createIndex","dropIndex","listIndexes","collStats","killCursors"];
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
