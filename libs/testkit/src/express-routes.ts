/** One route an express app serves: `get` and `/api/chats/:chatId`. */
export interface ServedRoute {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: unknown };
  /** The path given to `use` (router 2.x keeps it as written). */
  rawPath?: unknown;
}

/**
 * Every route an express 5 app (`app.router`) or router serves, with its full path, found by
 * walking the router stacks: a route's own path, under the paths its routers were mounted at.
 * Middleware that is not a router is skipped.
 *
 * @example listRoutes(app.router).filter((r) => r.path.startsWith('/api/'))
 */
export function listRoutes(router: { stack: unknown[] }, prefix = ''): ServedRoute[] {
  return (router.stack as Layer[]).flatMap((layer) => {
    if (layer.route) {
      const path = `${prefix}${String(layer.route.path)}`;
      return Object.keys(layer.route.methods)
        .filter((m) => m !== '_all')
        .map((method) => ({ method, path }));
    }
    const nested = layer.handle?.stack;
    if (!Array.isArray(nested)) return [];
    if (typeof layer.rawPath !== 'string') throw new Error('A router mounted at a path this walk cannot read');
    return listRoutes({ stack: nested }, layer.rawPath === '/' ? prefix : `${prefix}${layer.rawPath}`);
  });
}

/** `GET /api/chats/:chatId`: one string per route, to compare lists. */
export const routeKey = (r: ServedRoute) => `${r.method.toUpperCase()} ${r.path}`;
