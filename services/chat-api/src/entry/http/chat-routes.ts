import { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  chatHistoryQuery,
  chatIdParams,
  chatListQuery,
  noQuery,
  orCreateChatBody,
  userIdParams,
} from '@chat/contracts';
import { callerOf, parseInput } from '@chat/platform';
import type { ChatRecord } from '../../domain/chat.js';
import { toChatView } from '../../domain/chat-view.js';
import type { ChatDeps } from '../../use-cases/deps.js';
import { applyChatAction } from '../../use-cases/apply-chat-action.js';
import { deleteChat } from '../../use-cases/delete-chat.js';
import { getChat } from '../../use-cases/get-chat.js';
import { getOrCreateChat } from '../../use-cases/get-or-create-chat.js';
import { listChats } from '../../use-cases/list-chats.js';
import { toggleArchive } from '../../use-cases/toggle-archive.js';

const send = (res: Response, status: number, message: string, extra: Record<string, unknown> = {}) => {
  res.status(status).json({ status, message, ...extra });
};

const chatIdOf = (req: Request) => parseInput(chatIdParams, req.params, 'chatId').chatId;

/** Endpoints 1-10 and 13 of the specification, all behind a bearer token. */
export function chatRoutes(deps: ChatDeps, auth: RequestHandler): Router {
  const router = Router();
  router.use(auth);
  const view = (chats: ChatRecord[], caller: string) => chats.map((c) => toChatView(c, caller));

  // Fixed paths first, so `requests`, `active` and `or-create` never reach `/:chatId`.
  router.get('/requests', async (req, res) => {
    const caller = callerOf(res);
    const page = parseInput(chatListQuery, req.query, 'query');
    const { items, total } = await listChats(deps, { userId: caller, kind: 'requests', page });
    send(res, 200, 'Chat requests fetched successfully', { data: view(items, caller), pagination: { total, ...page } });
  });

  router.get('/active', async (req, res) => {
    const caller = callerOf(res);
    const page = parseInput(chatListQuery, req.query, 'query');
    const { items, total } = await listChats(deps, { userId: caller, kind: 'active', page });
    send(res, 200, 'Active chats found', { data: view(items, caller), pagination: { total, ...page } });
  });

  router.post('/or-create', async (req, res) => {
    const caller = callerOf(res);
    parseInput(noQuery, req.query, 'query');
    const { recipientId } = parseInput(orCreateChatBody, req.body ?? {}, 'body');
    const { chat, created } = await getOrCreateChat(deps, { userId: caller, recipientId });
    send(res, created ? 201 : 200, 'Chat created/retrieved successfully', { data: toChatView(chat, caller) });
  });

  router.get('/user/:userId/history', async (req, res) => {
    const caller = callerOf(res);
    const { userId } = parseInput(userIdParams, req.params, 'userId');
    const query = parseInput(chatHistoryQuery, req.query, 'query');
    const { items, total } = await listChats(deps, {
      userId: caller,
      kind: 'history',
      ownerId: userId,
      includeArchived: query.includeArchived,
      page: { page: query.page, limit: query.limit },
    });
    send(res, 200, 'Chat history retrieved successfully', {
      data: view(items, caller),
      pagination: { total, page: query.page, limit: query.limit },
    });
  });

  // Non-participants get 404, like unknown ids: the API does not reveal which chats exist.
  router.get('/:chatId', async (req, res) => {
    const caller = callerOf(res);
    const chatId = chatIdOf(req);
    parseInput(noQuery, req.query, 'query');
    const chat = await getChat(deps, { userId: caller, chatId });
    send(res, 200, 'Chat details retrieved', { data: toChatView(chat, caller) });
  });

  /** `POST /:chatId/<path>`: runs one command on the chat and answers the caller's view of it. */
  const chatCommand = (
    path: string,
    run: (command: { userId: string; chatId: string }) => Promise<ChatRecord>,
    message: (chat: ChatRecord, caller: string) => string,
  ) =>
    router.post(`/:chatId/${path}`, async (req, res) => {
      const caller = callerOf(res);
      const chatId = chatIdOf(req);
      parseInput(noQuery, req.query, 'query');
      const chat = await run({ userId: caller, chatId });
      send(res, 200, message(chat, caller), { data: toChatView(chat, caller) });
    });
  const accepted = () => 'Chat request accepted';
  const rejected = () => 'Chat request rejected';
  const blocked = () => 'User blocked successfully';
  const unblocked = () => 'User unblocked successfully';
  chatCommand('accept', (c) => applyChatAction(deps, { ...c, action: 'accept' }), accepted);
  chatCommand('reject', (c) => applyChatAction(deps, { ...c, action: 'reject' }), rejected);
  chatCommand('block', (c) => applyChatAction(deps, { ...c, action: 'block' }), blocked);
  chatCommand('unblock', (c) => applyChatAction(deps, { ...c, action: 'unblock' }), unblocked);
  chatCommand(
    'archive',
    (command) => toggleArchive(deps, command),
    (chat, caller) =>
      chat.archivedBy.includes(caller) ? 'Chat archived successfully' : 'Chat unarchived successfully',
  );

  router.delete('/:chatId', async (req, res) => {
    const caller = callerOf(res);
    const chatId = chatIdOf(req);
    parseInput(noQuery, req.query, 'query');
    await deleteChat(deps, { userId: caller, chatId });
    send(res, 200, 'Chat deleted successfully');
  });

  return router;
}
