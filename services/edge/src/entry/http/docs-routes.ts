import { Router } from 'express';
import { asyncApiDocument, openApiDocument } from '@chat/contracts';
import { renderDocsPage } from './docs-page.js';

/** The page's own policy: styles inline, nothing else loaded (helmet's default would allow scripts from self). */
const PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * `GET /api/docs` (HTML), `/api/docs/openapi.json` and `/api/docs/asyncapi.json`: the API
 * descriptions built from libs/contracts, public like the specification they describe.
 * Built once: they change only with the code.
 */
export function docsRoutes(): Router {
  const openapi = openApiDocument();
  const asyncapi = asyncApiDocument();
  const page = renderDocsPage(openapi, asyncapi);
  const router = Router();
  router.get('/api/docs', (_req, res) => {
    res.setHeader('content-security-policy', PAGE_POLICY);
    res.type('html').send(page);
  });
  router.get('/api/docs/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  router.get('/api/docs/asyncapi.json', (_req, res) => {
    res.json(asyncapi);
  });
  return router;
}
