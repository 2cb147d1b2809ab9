// The JWT secret that `npm start` and `npm run token` fall back to when JWT_SECRET is unset.
// It is public (it is in the repository), so it is for a developer's own machine only:
// anything reachable by others must set its own JWT_SECRET. The services know this value too
// (DEV_JWT_SECRET in libs/platform/src/config.ts, kept equal by libs/platform/test/config.test.ts):
// with NODE_ENV=production they refuse to start with it.
export const DEV_JWT_SECRET = 'local-dev-only-jwt-secret-do-not-use-in-production';

/** Returns JWT_SECRET from the environment, or the development secret with `isDev: true`. */
export function resolveJwtSecret(env = process.env) {
  const fromEnv = env.JWT_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') return { secret: fromEnv, isDev: false };
  return { secret: DEV_JWT_SECRET, isDev: true };
}
