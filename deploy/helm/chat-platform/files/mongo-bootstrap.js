// The readiness probe of the chart's MongoDB (infrastructure.enabled), run by mongosh on the pod
// itself without credentials. Access control is on (the replica set's key file), so:
// 1. the first start initiates the one-member replica set and creates `root` through the
//    localhost exception (which ends with that first user);
// 2. every start of the pod then creates, or brings up to date, each service's role and
//    user (service-users.js, beside this file; passwords from MONGO_PASSWORD_<SERVICE>);
// 3. ready only once this member is the writable primary.
// A wrong MONGO_ROOT_PASSWORD (the Secret changed after the first start) fails every probe.
const fs = require('fs');
const admin = db.getSiblingDB('admin');
const rootPassword = process.env.MONGO_ROOT_PASSWORD;
if (!rootPassword) throw new Error('MONGO_ROOT_PASSWORD is not set');

let authenticated = false;
try {
  admin.auth('root', rootPassword);
  authenticated = true;
} catch (e) {
  // No user yet: the localhost exception lets this shell initiate and create `root`.
}
try {
  rs.status();
} catch (e) {
  try {
    rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: process.env.MONGO_MEMBER }] });
  } catch (err) {
    if (!/already initialized/i.test(String(err.message))) throw err;
  }
}
if (!db.hello().isWritablePrimary) quit(1);
if (!authenticated) {
  admin.createUser({ user: 'root', pwd: rootPassword, roles: [{ role: 'root', db: 'admin' }] });
  admin.auth('root', rootPassword);
}
const done = '/tmp/service-users-done';
if (!fs.existsSync(done)) {
  load('/etc/mongo-init/service-users.js');
  fs.writeFileSync(done, new Date().toISOString());
}
