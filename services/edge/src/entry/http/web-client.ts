import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import express, { type Express, type Request } from 'express';

/**
 * The page's own policy: helmet's default adds `upgrade-insecure-requests`, which breaks the page
 * on plain http from another host (a LAN address), and its img-src would refuse media served
 * by a CDN (ImageKit, MEDIA_PUBLIC_URL).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https:",
  "media-src 'self' blob: https:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The local users' tokens `npm start` writes beside the page (deploy/local/dev-users.mjs). */
const DEV_USERS_FILE = 'dev-users.json';

/**
 * Whether the request names `file` in `dir`, as the static server would find it: decoded, with
 * dot segments resolved (`/dev%2Dusers.json`, `/assets/../dev-users.json`), in any case (a
 * developer's disk may ignore case).
 */
function namesFile(req: Request, dir: string, file: string): boolean {
  try {
    const wanted = resolve(dir, `.${decodeURIComponent(req.path)}`);
    return wanted.toLowerCase() === join(resolve(dir), file).toLowerCase();
  } catch {
    return false; // bad percent-encoding: the static server refuses it too
  }
}

/**
 * Serves the built web client (clients/web/dist) at `/` when `dir` holds one; mounted after
 * the API and Socket.IO routes, so it only answers paths they do not take. The local users'
 * tokens (`/dev-users.json`) only with `devUsers` (the development secret is in use): a file
 * left behind must not hand out tokens of a platform that runs with a secret of its own.
 * Returns whether it serves.
 */
export function mountWebClient(app: Express, dir: string, opts: { devUsers: boolean }): boolean {
  if (!existsSync(join(dir, 'index.html'))) return false;
  const files = express.static(dir, {
    index: 'index.html',
    setHeaders: (res, path) => {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      // Vite puts a content hash in every asset name; the page and the dev user list must be re-read.
      const hashed = path.startsWith(join(dir, 'assets') + sep);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  // Without the development secret the file is passed over, to the 404 of every unknown path.
  app.use(
    opts.devUsers ? files : (req, res, next) => (namesFile(req, dir, DEV_USERS_FILE) ? next() : files(req, res, next)),
  );
  return true;
}
