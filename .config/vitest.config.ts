import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Lives in .config/ to keep the repository's top level to what a clone needs at its root.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['libs/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'clients/*/test/**/*.test.ts'],
    pool: 'forks',
    // Each file brings its own NATS and Redis, so files may run side by side.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 90_000,
    reporters: ['default'],
  },
});
