import { defineConfig } from 'vite';

// `npm run dev -w clients/web` serves the page with hot reload and sends the API and sockets
// to a running `npm start` (EDGE_URL, default http://127.0.0.1:8080).
// eslint-disable-next-line no-restricted-properties -- the dev server's setting, not a service's configuration
const edge = process.env.EDGE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: {
      '/api': edge,
      '/socket.io': { target: edge, ws: true },
      '/dev-users.json': edge,
    },
  },
});
