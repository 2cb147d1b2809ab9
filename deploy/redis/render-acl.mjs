#!/usr/bin/env node
// Writes the services' Redis ACL users (libs/contracts redis-acl.ts) into the files deployments
// use, passwords as ${REDIS_PASSWORD_<SERVICE>} placeholders that start.sh fills in. Run after
// changing a rule: `npm run build && node deploy/redis/render-acl.mjs`.
// A test (libs/platform/test/redis-acl.test.ts) fails while a copy is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { productionRedisUsers, REDIS_ACL_FILES, renderRedisAcl } from '@chat/contracts';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const file of REDIS_ACL_FILES) {
  writeFileSync(root + file, renderRedisAcl(productionRedisUsers()));
  console.log(`wrote ${file}`);
}
