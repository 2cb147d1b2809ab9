import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import express, { type Express } from 'express';

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

/**
 * Serves the built web client (clients/web/dist) at `/` when `dir` holds one; mounted after
 * the API and Socket.IO routes, so it only answers paths they do not take. Returns whether it serves.
 */
export function mountWebClient(app: Express, dir: string): boolean {
  if (!existsSync(join(dir, 'index.html'))) return false;
  app.use(
    express.static(dir, {
      index: 'index.html',
      setHeaders: (res, path) => {
        res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
        // Vite puts a content hash in every asset name; the page and the dev user list must be re-read.
        const hashed = path.startsWith(join(dir, 'assets') + sep);
        res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  return true;
}
