import { z } from 'zod';
import { chatIdParams, orCreateChatBody, userIdParams } from './chat.js';
import { paginationQuery } from './common.js';
import { deleteMediaBody, fileIdParams, uploadFields } from './media.js';
import { listMessagesQuery, messageChangesQuery, searchMessagesQuery } from './message.js';
import {
  bulkUploadResponseSchema,
  chatListResponseSchema,
  chatResponseSchema,
  mediaDeletedResponseSchema,
  mediaMetadataResponseSchema,
  messageChangesResponseSchema,
  messageListResponseSchema,
  messageSearchResponseSchema,
  statusOnlyResponseSchema,
  uploadResponseSchema,
  uploadTokenResponseSchema,
} from './rest-views.js';

/**
 * Every public REST route in one table: the OpenAPI description is built from it (src/docs),
 * and each service's route test checks it against that service's real express routes, both
 * ways. Inputs are the schemas the services parse with.
 */
export interface RestRoute {
  /** The OpenAPI operationId: unique, camelCase. */
  id: string;
  service: 'chat-api' | 'message-api' | 'media-service' | 'edge';
  method: 'get' | 'post' | 'delete';
  /** As the router declares it, express style (`/api/chats/:chatId`). */
  path: string;
  summary: string;
  description?: string;
  /** `bearer`: `Authorization: Bearer <jwt>` (401 without); `none`: public. */
  auth: 'bearer' | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { type: 'json' | 'multipart'; schema: z.ZodObject };
  /** Success answers by status: a JSON body, a file, or the HTML docs page. */
  responses: Record<number, { description: string; json?: z.ZodType; file?: true; html?: true }>;
  /** Failures this route answers besides those every route may (401 with auth, 429, 500, 503). */
  errors: Partial<Record<400 | 403 | 404 | 409 | 413 | 415 | 501, string>>;
}

/** Chat routes refuse query keys they do not name (chat-api's http/schemas.ts; its route test compares them). */
export const chatListQuery = paginationQuery(50).strict();
export const chatHistoryQuery = paginationQuery(50)
  .extend({
    includeArchived: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();
export const noQuery = z.object({}).strict();

/** `GET /api/media/files/:name`: the stored file's random name. */
export const mediaFileNameParams = z.object({ name: z.string().min(1) });
export const uploadOneForm = uploadFields.extend({ file: z.file() });
export const uploadManyForm = uploadFields.extend({
  files: z.array(z.file()).min(1).describe('Up to MEDIA_MAX_BULK_FILES (10) parts named `files`'),
});

const chatAction = (action: string, summary: string, errors: RestRoute['errors'], description?: string): RestRoute => ({
  id: `${action}Chat`,
  service: 'chat-api',
  method: 'post',
  path: `/api/chats/:chatId/${action}`,
  summary,
  ...(description && { description }),
  auth: 'bearer',
  params: chatIdParams,
  query: noQuery,
  responses: { 200: { description: 'The chat after the change', json: chatResponseSchema } },
  errors: { 400: 'Malformed chatId', 404: 'Unknown chat, or not yours', ...errors },
});

const chatList = { 200: { description: 'A page of chats, newest first', json: chatListResponseSchema } };
const readMessages = { 400: 'Malformed input', 403: 'Not a participant', 404: 'Unknown chat' };
const mediaUpload = {
  400: 'Missing file or chatId, or a malformed form (send chatId before the file)',
  403: 'Not a participant of the chat',
  404: 'Unknown chat',
  413: 'File too large for its type',
  415: 'File type not allowed (executables)',
};

export const restRoutes: readonly RestRoute[] = [
  // ---- chat-api: endpoints 1-10 and 13 ----
  {
    id: 'listChatRequests',
    service: 'chat-api',
    method: 'get',
    path: '/api/chats/requests',
    summary: 'Pending chats that others requested from the caller',
    auth: 'bearer',
    query: chatListQuery,
    responses: chatList,
    errors: { 400: 'Malformed or unknown query parameter' },
  },
  {
    id: 'listActiveChats',
    service: 'chat-api',
    method: 'get',
    path: '/api/chats/active',
    summary: "The caller's accepted / auto_accepted chats, not archived or deleted by them",
    auth: 'bearer',
    query: chatListQuery,
    responses: chatList,
    errors: { 400: 'Malformed or unknown query parameter' },
  },
  {
    id: 'getOrCreateChat',
    service: 'chat-api',
    method: 'post',
    path: '/api/chats/or-create',
    summary: 'The chat with `recipientId`, created pending when the pair has none',
    description:
      'Never a second chat for a pair. A pending request from the recipient to the caller makes it auto_accepted; ' +
      'a chat the caller rejected starts again, requested by them; a chat the caller deleted comes back, old history hidden.',
    auth: 'bearer',
    query: noQuery,
    body: { type: 'json', schema: orCreateChatBody },
    responses: {
      200: { description: 'The pair already had this chat', json: chatResponseSchema },
      201: { description: 'Created', json: chatResponseSchema },
    },
    errors: { 400: 'Malformed recipientId, or the caller as recipient', 409: 'A concurrent change: retry' },
  },
  {
    id: 'getUserChatHistory',
    service: 'chat-api',
    method: 'get',
    path: '/api/chats/user/:userId/history',
    summary: "Every chat of the caller's in any status but deleted; archived ones with includeArchived=true",
    auth: 'bearer',
    params: userIdParams,
    query: chatHistoryQuery,
    responses: chatList,
    errors: { 400: 'Malformed input', 403: '`userId` is not the caller' },
  },
  {
    id: 'getChat',
    service: 'chat-api',
    method: 'get',
    path: '/api/chats/:chatId',
    summary: 'One chat as the caller sees it',
    auth: 'bearer',
    params: chatIdParams,
    query: noQuery,
    responses: { 200: { description: 'The chat', json: chatResponseSchema } },
    errors: { 400: 'Malformed chatId', 404: 'Unknown chat, or not yours' },
  },
  chatAction('accept', 'Accept a pending request (its recipient only)', {
    403: 'The caller requested it',
    409: 'Not pending',
  }),
  chatAction('reject', 'Reject a pending request (its recipient only)', {
    403: 'The caller requested it',
    409: 'Not pending',
  }),
  chatAction('block', 'Block the chat (either participant)', { 409: 'Already blocked' }),
  chatAction(
    'unblock',
    'Unblock (only the participant who blocked)',
    { 403: 'Not blockedBy', 409: 'Not blocked' },
    'The chat returns to the status it had before the block.',
  ),
  chatAction(
    'archive',
    "Toggle the caller's archive flag",
    {},
    '`data.isArchived` is the new state; the other participant sees no change.',
  ),
  {
    id: 'deleteChat',
    service: 'chat-api',
    method: 'delete',
    path: '/api/chats/:chatId',
    summary: 'Hide the chat and its history so far, for the caller only',
    description: 'A new message from the other side brings the chat back with only the new messages.',
    auth: 'bearer',
    params: chatIdParams,
    query: noQuery,
    responses: { 200: { description: 'Deleted for the caller', json: statusOnlyResponseSchema } },
    errors: { 400: 'Malformed chatId', 404: 'Unknown chat, or not yours' },
  },
  // ---- message-api: endpoints 11, 12 and the catch-up feed ----
  {
    id: 'listMessages',
    service: 'message-api',
    method: 'get',
    path: '/api/chats/:chatId/messages',
    summary: 'Messages of a chat: newest first by page, or before / after a message id',
    description:
      '`before=<id>`: older messages, newest first. `after=<id>`: newer ones, oldest first (catching up page by page). ' +
      'Not both. Defaults: limit 50, page 1. Query keys containing `[`, `]`, `$` or `.` are refused.',
    auth: 'bearer',
    params: chatIdParams,
    query: listMessagesQuery,
    responses: { 200: { description: 'A page of messages', json: messageListResponseSchema } },
    errors: { ...readMessages, 404: 'Unknown chat, or a cursor not in it' },
  },
  {
    id: 'searchMessages',
    service: 'message-api',
    method: 'get',
    path: '/api/chats/:chatId/search',
    summary: 'Case-insensitive literal substring search, newest first',
    description:
      '`q`: 1 to 200 code points, taken literally. One request examines at most SEARCH_WINDOW (5,000) messages ' +
      'by seq, below `beforeSeq` when given; `window` tells which. Defaults: limit 20, page 1.',
    auth: 'bearer',
    params: chatIdParams,
    query: searchMessagesQuery,
    responses: { 200: { description: 'Matches in the examined window', json: messageSearchResponseSchema } },
    errors: readMessages,
  },
  {
    id: 'listMessageChanges',
    service: 'message-api',
    method: 'get',
    path: '/api/chats/:chatId/changes',
    summary: 'Every message changed after `since` (a rev), in rev order, as the caller sees it now',
    description:
      'Deleted or hidden messages come as tombstones. Defaults: since 0, limit 100. Repeat from `data.rev` while `hasMore`.',
    auth: 'bearer',
    params: chatIdParams,
    query: messageChangesQuery,
    responses: { 200: { description: 'Changes and the cursor for the next call', json: messageChangesResponseSchema } },
    errors: readMessages,
  },
  // ---- media-service: endpoints 14-18 and the local files ----
  {
    id: 'uploadChatMedia',
    service: 'media-service',
    method: 'post',
    path: '/api/media/upload-chat-media',
    summary: 'Upload one file to a chat',
    description:
      "The type is detected from the file's bytes. Default limits: 25 MB images, 100 MB videos, 25 MB other files.",
    auth: 'bearer',
    body: { type: 'multipart', schema: uploadOneForm },
    responses: { 200: { description: 'Stored', json: uploadResponseSchema } },
    errors: mediaUpload,
  },
  {
    id: 'bulkUploadChatMedia',
    service: 'media-service',
    method: 'post',
    path: '/api/media/bulk-upload',
    summary: 'Upload several files to a chat; each file succeeds or fails on its own',
    auth: 'bearer',
    body: { type: 'multipart', schema: uploadManyForm },
    responses: { 200: { description: 'Stored files and per-file failures', json: bulkUploadResponseSchema } },
    errors: mediaUpload,
  },
  {
    id: 'getUploadToken',
    service: 'media-service',
    method: 'get',
    path: '/api/media/get-upload-token',
    summary: "ImageKit's client-upload signature",
    auth: 'bearer',
    responses: { 200: { description: 'A signature', json: uploadTokenResponseSchema } },
    errors: { 501: 'ImageKit is not configured: upload through upload-chat-media' },
  },
  {
    id: 'getMediaFile',
    service: 'media-service',
    method: 'get',
    path: '/api/media/files/:name',
    summary: 'A locally stored file (no token: the unguessable name is the credential)',
    description: 'Range requests are supported. Active content (HTML, SVG) is served as a download.',
    auth: 'none',
    params: mediaFileNameParams,
    responses: { 200: { description: 'The file', file: true } },
    errors: { 404: 'Unknown file, or media is stored on ImageKit' },
  },
  {
    id: 'getMediaMetadata',
    service: 'media-service',
    method: 'get',
    path: '/api/media/:fileId/metadata',
    summary: "A file's metadata (its uploader or a participant of its chat)",
    auth: 'bearer',
    params: fileIdParams,
    responses: { 200: { description: 'Metadata', json: mediaMetadataResponseSchema } },
    errors: { 400: 'Malformed fileId', 404: 'Unknown file, or not allowed to see it' },
  },
  {
    id: 'deleteMedia',
    service: 'media-service',
    method: 'post',
    path: '/api/media/delete',
    summary: 'Delete a file (its uploader only)',
    auth: 'bearer',
    body: { type: 'json', schema: deleteMediaBody },
    responses: { 200: { description: 'Deleted', json: mediaDeletedResponseSchema } },
    errors: { 400: 'Malformed body', 403: 'A participant who is not the uploader', 404: 'Unknown file' },
  },
  // ---- edge: these descriptions ----
  {
    id: 'getApiDocsPage',
    service: 'edge',
    method: 'get',
    path: '/api/docs',
    summary: 'This description as a readable page',
    auth: 'none',
    responses: { 200: { description: 'HTML', html: true } },
    errors: {},
  },
  {
    id: 'getOpenApiDocument',
    service: 'edge',
    method: 'get',
    path: '/api/docs/openapi.json',
    summary: 'The OpenAPI 3.1 description of the REST routes',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', json: z.looseObject({ openapi: z.string() }) } },
    errors: {},
  },
  {
    id: 'getAsyncApiDocument',
    service: 'edge',
    method: 'get',
    path: '/api/docs/asyncapi.json',
    summary: 'The AsyncAPI 3.0 description of the socket events',
    auth: 'none',
    responses: { 200: { description: 'AsyncAPI 3.0', json: z.looseObject({ asyncapi: z.string() }) } },
    errors: {},
  },
];
