import { z } from 'zod';
import { mediaSchema } from '../message.js';
import { serverEventSchemas, socketErrorSchema } from '../server-events.js';
import { clientEvents, type ClientEventName, type ServerEventName } from '../socket.js';
import { pascal, SchemaComponents, type JsonSchema } from './json-schema.js';
import { clientEventNotes, serverEventAudience } from './socket-notes.js';

const CHANNEL = 'socket';
const channelMessage = (key: string) => ({ $ref: `#/channels/${CHANNEL}/messages/${key}` });

/** The acknowledgement callback's argument: `{ ok: true, ...success }` or `{ ok: false, ...error }`. */
const ackOf = (success: z.ZodObject | undefined) =>
  z.union([
    (success ?? z.object({})).extend({ ok: z.literal(true) }),
    socketErrorSchema.extend({ ok: z.literal(false) }),
  ]);

/**
 * The AsyncAPI 3.0 description of the Socket.IO events, from the application's (the gateway's)
 * point of view: it receives every client event of `clientEvents`, replying through the
 * acknowledgement callback, and sends every server event of `serverEventSchemas`. Served by the
 * edge at `/api/docs/asyncapi.json`.
 */
export function asyncApiDocument(): JsonSchema {
  const components = new SchemaComponents('draft-07');
  components.name('Media', mediaSchema);
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};

  const successOf = new Map<string, ClientEventName>();
  for (const event of Object.keys(clientEvents) as ClientEventName[]) {
    const { schema, success } = clientEvents[event];
    if (success) successOf.set(success, event);
    const successSchema = success ? (serverEventSchemas[success as ServerEventName] as z.ZodObject) : undefined;
    const ack = `${event}_ack`;
    messages[event] = {
      name: event,
      title: event,
      payload: components.name(`${pascal(event)}Payload`, schema),
    };
    messages[ack] = {
      title: `${event} acknowledgement`,
      summary: 'The argument of the acknowledgement callback, when the client passes one',
      payload: components.name(`${pascal(event)}Ack`, ackOf(successSchema)),
    };
    operations[event] = {
      action: 'receive',
      channel: { $ref: `#/channels/${CHANNEL}` },
      title: event,
      summary: success
        ? `Answered by ${success} on success, else error { message, code, event }`
        : 'No success event; error { message, code, event } on failure',
      ...(clientEventNotes[event] && { description: clientEventNotes[event] }),
      messages: [channelMessage(event)],
      reply: { channel: { $ref: `#/channels/${CHANNEL}` }, messages: [channelMessage(ack)] },
    };
  }

  for (const event of Object.keys(serverEventSchemas) as ServerEventName[]) {
    const answers = successOf.get(event);
    const to = answers ? `the calling socket, when ${answers} succeeds` : serverEventAudience[event];
    messages[event] = {
      name: event,
      title: event,
      payload: components.name(`${pascal(event)}Payload`, serverEventSchemas[event]),
    };
    operations[event] = {
      action: 'send',
      channel: { $ref: `#/channels/${CHANNEL}` },
      title: event,
      ...(to && { summary: `Sent to ${to}` }),
      messages: [channelMessage(event)],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Chat platform socket events',
      version: '1.0.0',
      description:
        'Socket.IO v4 through the edge: `io(EDGE_URL, { auth: { token } })`. Every socket joins its user room; ' +
        "`join_chat` subscribes to a chat's room. Each client event is answered by its success event or by " +
        '`error`, and by the acknowledgement callback when given. A refused handshake gives `connect_error` with ' +
        '`err.data.code` UNAUTHORIZED, RATE_LIMITED or UNAVAILABLE. REST routes: /api/docs/openapi.json.',
    },
    defaultContentType: 'application/json',
    servers: {
      edge: {
        host: '{host}',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'Socket.IO (engine.io WebSocket, or HTTP long-polling) on the edge',
        variables: { host: { default: '127.0.0.1:8080', description: "The edge's host and port" } },
        security: [{ $ref: '#/components/securitySchemes/jwt' }],
      },
    },
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'The default namespace',
        description: 'Every event travels on one connection; a message name is its Socket.IO event name.',
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }]),
        ),
      },
    },
    operations,
    components: {
      schemas: components.emit(),
      messages,
      securitySchemes: {
        jwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'In the handshake: `auth.token` (the token, or "Bearer <token>") or an Authorization header',
        },
      },
    },
  };
}
