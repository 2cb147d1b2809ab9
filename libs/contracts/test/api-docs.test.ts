import { beforeAll, describe, expect, it } from 'vitest';
import { Parser } from '@asyncapi/parser';
import { Validator } from '@seriousme/openapi-schema-validator';
import { asyncApiDocument } from '../src/docs/asyncapi.js';
import { openApiDocument } from '../src/docs/openapi.js';
import { restRoutes } from '../src/rest-routes.js';
import { clientEvents } from '../src/socket.js';
import { contracts, fieldsOfType } from './support/interfaces.js';

type Json = Record<string, any>;

async function openApiErrors(doc: Json) {
  const result = await new Validator().validate(structuredClone(doc));
  return result.valid ? [] : result.errors;
}

/** The parser's errors and warnings (spectral severities 0 and 1); hints such as "3.1.0 exists" are not failures. */
async function asyncApiProblems(doc: Json) {
  const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
  return diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('/')}`);
}

const operationsOf = (doc: Json) =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => ({ method, path, id: (op as Json).operationId as string })),
  );

// Loading the validators takes seconds, more on a busy machine.
describe('the OpenAPI description', { timeout: 60_000 }, () => {
  const doc: Json = openApiDocument();

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(await openApiErrors(doc)).toEqual([]);
  });

  it('the validator does refuse a broken document (a reference to no schema)', async () => {
    const broken = structuredClone(doc);
    delete broken.components.schemas.Chat;
    expect(await openApiErrors(broken)).not.toEqual([]);
  });

  it('describes every route of the route table once, and nothing else', () => {
    const described = operationsOf(doc).map((o) => `${o.method} ${o.path} ${o.id}`);
    const table = restRoutes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')} ${r.id}`);
    expect(described.sort()).toEqual(table.sort());
    expect(new Set(restRoutes.map((r) => r.id)).size).toBe(restRoutes.length);
  });

  it('names the path parameters of each route exactly as its path does', () => {
    for (const op of operationsOf(doc)) {
      const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (doc.paths[op.path][op.method].parameters as Json[])
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      expect(declared, `${op.method} ${op.path}`).toEqual(inPath);
    }
  });
});

describe('the AsyncAPI description', { timeout: 60_000 }, () => {
  beforeAll(() => void contracts());

  const doc: Json = asyncApiDocument();
  const operations = Object.entries(doc.operations as Json);
  const received = operations.filter(([, op]) => op.action === 'receive').map(([name]) => name);
  const sent = operations.filter(([, op]) => op.action === 'send').map(([name]) => name);

  it('parses as AsyncAPI 3.0 with no error or warning', async () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(await asyncApiProblems(doc)).toEqual([]);
  });

  it('the parser does refuse a broken document (an operation on no channel)', async () => {
    const broken = structuredClone(doc);
    broken.operations.join_chat.channel = { $ref: '#/channels/nowhere' };
    expect(await asyncApiProblems(broken)).not.toEqual([]);
  });

  it('receives every client event of clientEvents, with an acknowledgement reply, and no other', () => {
    expect(received.sort()).toEqual(Object.keys(clientEvents).sort());
    for (const name of received) expect(doc.operations[name].reply, name).toBeDefined();
  });

  it('sends every server event of ServerEventPayloads, and no other', () => {
    const events = fieldsOfType('ServerEventPayloads').map((f) => f.name);
    expect(sent.sort()).toEqual(events.sort());
  });

  it("names each client event's success event, which is itself described", () => {
    for (const [name, { success }] of Object.entries(clientEvents)) {
      if (!success) continue;
      expect(doc.operations[name].summary, name).toContain(success);
      expect(sent).toContain(success);
    }
  });
});
