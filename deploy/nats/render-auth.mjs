#!/usr/bin/env node
// Writes the NATS users and subject permissions (libs/contracts nats-permissions.ts) into the
// files deployments include. Run after changing a permission: `npm run build && node deploy/nats/render-auth.mjs`.
// A test (libs/platform/test/nats-permissions.test.ts) fails while a copy is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NATS_AUTH_FILES, renderDeployedNatsAuth } from '@chat/contracts';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const file of NATS_AUTH_FILES) {
  writeFileSync(root + file, renderDeployedNatsAuth());
  console.log(`wrote ${file}`);
}
