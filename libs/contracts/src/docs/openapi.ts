import type { z } from 'zod';
import { paginationSchema } from '../common.js';
import { errorBodySchema } from '../errors.js';
import { mediaSchema } from '../message.js';
import { restRoutes, type RestRoute } from '../rest-routes.js';
import * as views from '../rest-views.js';
import { jsonSchemaOf, pascal, SchemaComponents, type JsonSchema } from './json-schema.js';

/** Shared shapes get readable names; a route's own schemas are named after its operationId. */
const namedSchemas: [string, z.ZodType][] = [
  ['Error', errorBodySchema],
  ['Pagination', paginationSchema],
  ['Chat', views.chatViewSchema],
  ['Message', views.messageViewSchema],
  ['ReplyPreview', views.replyPreviewSchema],
  ['MessageTombstone', views.messageTombstoneSchema],
  ['MessageChanges', views.messageChangesSchema],
  ['Media', mediaSchema],
  ['UploadedFile', views.uploadedFileSchema],
  ['ChatResponse', views.chatResponseSchema],
  ['ChatListResponse', views.chatListResponseSchema],
  ['StatusResponse', views.statusOnlyResponseSchema],
];

const tags = {
  'chat-api': { name: 'Chats', description: 'chat-api: chats and their status (endpoints 1-10, 13)' },
  'message-api': { name: 'Messages', description: 'message-api: history, search and the catch-up feed (11, 12)' },
  'media-service': { name: 'Media', description: 'media-service: uploads and files (14-18)' },
  edge: { name: 'Docs', description: 'the edge: these descriptions' },
} satisfies Record<RestRoute['service'], { name: string; description: string }>;

const errorResponse = (description: string, headers?: JsonSchema) => ({
  description,
  ...(headers && { headers }),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const retryAfter = { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } };

/** Path and query parameters from the route's zod objects (their required list included). */
function parametersOf(route: RestRoute): JsonSchema[] {
  const from = (where: 'path' | 'query', schema: z.ZodObject | undefined) => {
    if (!schema) return [];
    const json = jsonSchemaOf(schema, 'draft-2020-12') as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    return Object.entries(json.properties ?? {}).map(([name, property]) => ({
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      schema: property,
    }));
  };
  return [...from('path', route.params), ...from('query', route.query)];
}

function operationOf(route: RestRoute, components: SchemaComponents): JsonSchema {
  const name = pascal(route.id);
  const responses: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    const content = answer.json
      ? { 'application/json': { schema: components.ref(answer.json, `${name}Response`) } }
      : answer.html
        ? { 'text/html': { schema: { type: 'string' } } }
        : { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } };
    responses[status] = { description: answer.description, content };
  }
  for (const [status, description] of Object.entries(route.errors)) responses[status] = errorResponse(description);
  if (route.auth === 'bearer') {
    responses['401'] = errorResponse('Missing, invalid or expired token');
    responses['429'] = errorResponse('Rate limited', retryAfter);
  }
  if (route.service !== 'edge') {
    responses['500'] = errorResponse('Unexpected: `error.errorId` identifies it in the logs');
    responses['503'] = errorResponse('The service or a dependency is down or timed out: retry');
  }
  const strict = route.query && jsonSchemaOf(route.query, 'draft-2020-12').additionalProperties === false;
  const description = [route.description, strict && 'Query parameters not listed here are refused (400).']
    .filter(Boolean)
    .join(' ');
  return {
    operationId: route.id,
    tags: [tags[route.service].name],
    summary: route.summary,
    ...(description && { description }),
    // Public routes drop the document-wide bearer requirement.
    ...(route.auth === 'none' && { security: [] }),
    parameters: parametersOf(route),
    ...(route.body && {
      requestBody: {
        required: true,
        content: {
          [route.body.type === 'json' ? 'application/json' : 'multipart/form-data']: {
            schema: components.ref(route.body.schema, `${name}Body`),
          },
        },
      },
    }),
    responses,
  };
}

/**
 * The OpenAPI 3.1 description of every REST route in `restRoutes`, served by the edge at
 * `/api/docs/openapi.json`.
 */
export function openApiDocument(): JsonSchema {
  const components = new SchemaComponents('draft-2020-12');
  for (const [name, schema] of namedSchemas) components.name(name, schema);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of restRoutes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[route.method] = operationOf(route, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chat platform REST API',
      version: '1.0.0',
      description:
        'Every route is reached through the edge. Success bodies are `{ status, message, data?, pagination? }` ' +
        '(media routes add `success: true`); failures are `{ status, message, error? }` and the HTTP status ' +
        'equals `status`. Ids are 24-hex ObjectIds. Socket events: /api/docs/asyncapi.json.',
    },
    servers: [{ url: '/', description: 'the edge' }],
    tags: Object.values(tags),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: components.emit(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'HS256; the user id is `sub` (else `id`, else `userId`), a 24-hex ObjectId',
        },
      },
    },
  };
}
