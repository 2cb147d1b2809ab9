// Prints an HS256 JWT that the local platform accepts, for curl and socket clients.
//
//   npm run --silent token -- <userId> [--ttl 24h]   (the services refuse a ttl over JWT_MAX_LIFETIME_S, 24 h)
//   TOKEN=$(npm run --silent token -- 65a1b2c3d4e5f60718293a4b)
//
// The token (alone) goes to stdout; notes go to stderr. `sub` is the user id, a 24-hex
// ObjectId; without one, a random ObjectId-like id is made up and printed on stderr.
// Signed with JWT_SECRET, or with the development secret `npm start` uses when it is unset.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { resolveJwtSecret } from './dev-secret.mjs';

const USAGE = 'usage: npm run token -- [<userId: 24 hex characters>] [--ttl <timespan, e.g. 90m, 24h, 7d>]';

function usageError(message) {
  console.error(`token: ${message}\n${USAGE}`);
  process.exit(2);
}

/** An id shaped like a MongoDB ObjectId: 4 bytes of Unix seconds, then 8 random bytes. */
function randomObjectId() {
  const time = Buffer.alloc(4);
  time.writeUInt32BE(Math.floor(Date.now() / 1000));
  return Buffer.concat([time, randomBytes(8)]).toString('hex');
}

let parsed;
try {
  parsed = parseArgs({
    options: { ttl: { type: 'string', default: '24h' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
} catch (err) {
  usageError(err.message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length > 1) usageError(`expected one userId, got ${positionals.length} arguments`);

let userId = positionals[0];
if (userId === undefined) {
  userId = randomObjectId();
  console.error(`token: no userId given; made up userId ${userId}`);
} else if (!/^[0-9a-fA-F]{24}$/.test(userId)) {
  usageError(`userId must be a 24-hex ObjectId (e.g. 65a1b2c3d4e5f60718293a4b), got '${userId}'`);
}
userId = userId.toLowerCase();

const { secret, isDev } = resolveJwtSecret();
if (isDev)
  console.error('token: JWT_SECRET is unset; signed with the development secret of deploy/local/dev-secret.mjs');

let token;
try {
  token = jwt.sign({}, secret, { algorithm: 'HS256', subject: userId, expiresIn: values.ttl });
} catch (err) {
  usageError(`bad --ttl '${values.ttl}': ${err.message}`);
}
// The services refuse a token that lives longer than JWT_MAX_LIFETIME_S: say so rather than hand out a dud.
const { exp, iat } = jwt.decode(token);
const maxLifetimeS = Number(process.env.JWT_MAX_LIFETIME_S || 24 * 3600);
if (exp - iat > maxLifetimeS)
  console.error(
    `token: warning: a ttl of ${values.ttl} is over JWT_MAX_LIFETIME_S (${maxLifetimeS} s); the services will refuse this token`,
  );
console.log(token);
