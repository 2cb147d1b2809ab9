// The two local users `npm start` offers on the web client's sign-in page. The platform has no
// user directory and production has no way to mint tokens, so the start script writes their
// tokens to clients/web/dist/dev-users.json while it runs (the page lists what it finds there)
// and removes the file when it stops. Only with the public development secret: their tokens
// then give nothing that `npm run token` would not.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';

/** Fixed ids, so that a restart finds the same users with their chats (docs/client-guide.md's ALICE and BOB). */
export const DEV_USERS = [
  { name: 'Alice', userId: '65a1b2c3d4e5f60718293a4b' },
  { name: 'Bob', userId: '65a1b2c3d4e5f60718293a4c' },
];

const fileIn = (root) => path.join(root, 'clients/web/dist/dev-users.json');

/**
 * Writes `{ users: [{ name, userId, token }] }` next to the built page; returns the users, or
 * undefined when the web client is not built (nothing serves the page then).
 */
export function writeDevUsers(root, secret) {
  const file = fileIn(root);
  if (!existsSync(path.dirname(file))) return undefined;
  const users = DEV_USERS.map((u) => ({
    ...u,
    // The services refuse tokens that live longer than JWT_MAX_LIFETIME_S (24 h by default).
    token: jwt.sign({}, secret, { algorithm: 'HS256', subject: u.userId, expiresIn: '24h' }),
  }));
  writeFileSync(file, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  return users;
}

export function removeDevUsers(root) {
  rmSync(fileIn(root), { force: true });
}
