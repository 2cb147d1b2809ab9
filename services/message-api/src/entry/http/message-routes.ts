import { Router, type Express, type RequestHandler } from 'express';
import { chatIdParams, listMessagesQuery, messageChangesQuery, searchMessagesQuery } from '@chat/contracts';
import { badRequest, callerOf, parseInput } from '@chat/platform';
import type { MessageDeps } from '../../use-cases/deps.js';
import { listChanges } from '../../use-cases/list-changes.js';
import { listMessages } from '../../use-cases/list-messages.js';
import { searchMessages } from '../../use-cases/search-messages.js';

/**
 * Express 5 parses `?limit[$gt]=1` as a key named `limit[$gt]`; an unknown key would just be
 * ignored, but a key shaped like an operator or a nested field is a client bug or a probe: 400.
 */
function parseQuery<S extends Parameters<typeof parseInput>[0]>(schema: S, query: Record<string, unknown>) {
  const odd = Object.keys(query).filter((k) => /[[\]$.]/.test(k));
  if (odd.length)
    throw badRequest(
      `Invalid query: unexpected parameter ${odd[0]}`,
      odd.map((field) => ({ field, message: 'not allowed' })),
    );
  return parseInput(schema, query, 'query');
}

/** Endpoints 11 and 12, plus the catch-up feed `/changes`. */
export function messageRoutes(deps: MessageDeps, auth: RequestHandler) {
  const router = Router();
  router.use(auth);

  router.get('/api/chats/:chatId/messages', async (req, res) => {
    const { chatId } = parseInput(chatIdParams, req.params, 'path');
    const query = parseQuery(listMessagesQuery, req.query);
    if (query.before && query.after)
      throw badRequest('Use either before or after, not both', [{ field: 'before', message: 'conflicts with after' }]);
    const result = await listMessages(deps, {
      userId: callerOf(res),
      chatId,
      page: query.page ?? 1,
      limit: query.limit ?? 50,
      before: query.before,
      after: query.after,
    });
    res.status(200).json({ status: 200, message: `Messages loaded for chatId: ${chatId}`, ...result });
  });

  router.get('/api/chats/:chatId/search', async (req, res) => {
    const { chatId } = parseInput(chatIdParams, req.params, 'path');
    const query = parseQuery(searchMessagesQuery, req.query);
    const result = await searchMessages(deps, {
      userId: callerOf(res),
      chatId,
      q: query.q,
      page: query.page ?? 1,
      limit: query.limit ?? 20,
      ...(query.beforeSeq !== undefined ? { beforeSeq: query.beforeSeq } : {}),
    });
    res.status(200).json({ status: 200, message: 'Messages found', ...result });
  });

  router.get('/api/chats/:chatId/changes', async (req, res) => {
    const { chatId } = parseInput(chatIdParams, req.params, 'path');
    const query = parseQuery(messageChangesQuery, req.query);
    const data = await listChanges(deps, {
      userId: callerOf(res),
      chatId,
      since: query.since ?? 0,
      limit: query.limit ?? 100,
    });
    res.status(200).json({ status: 200, message: 'Changes fetched', data });
  });

  return (app: Express) => {
    app.use(router);
  };
}
