#!/usr/bin/env node
// Writes the mongosh script that creates each service's MongoDB role and user (libs/contracts
// mongo-roles.ts) into the files deployments use. Run after changing a service's collections:
// `npm run build && node deploy/mongo/render-users.mjs`.
// A test (libs/platform/test/mongo-users.test.ts) fails while a copy is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MONGO_USERS_FILES, renderMongoServiceUsersScript } from '@chat/contracts';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const file of MONGO_USERS_FILES) {
  writeFileSync(root + file, renderMongoServiceUsersScript());
  console.log(`wrote ${file}`);
}
