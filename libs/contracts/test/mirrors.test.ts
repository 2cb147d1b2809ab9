import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  chatViewSchema,
  messageChangesSchema,
  messageTombstoneSchema,
  messageViewSchema,
  replyPreviewSchema,
  uploadedFileSchema,
} from '../src/rest-views.js';
import { serverEventSchemas, socketErrorSchema } from '../src/server-events.js';
import { contracts, fieldsOfType, type Field } from './support/interfaces.js';

/** A zod object's fields as the API descriptions show them (a field is optional when not `required`). */
function fieldsOfSchema(schema: z.ZodType): Field[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.keys(json.properties ?? {}).map((name) => ({ name, optional: !required.has(name) }));
}

const byName = (fields: Field[]) => [...fields].sort((a, b) => a.name.localeCompare(b.name));

// mirror.ts checks at compile time that each field a mirror names fits its interface; these
// tests catch what that check lets through: a field (or an event) the interface has and the
// mirror lacks, or one whose optionality differs.
describe('the zod mirrors of the wire interfaces', () => {
  beforeAll(() => void contracts());

  it.each([
    ['ChatView', chatViewSchema],
    ['MessageView', messageViewSchema],
    ['ReplyPreview', replyPreviewSchema],
    ['MessageTombstone', messageTombstoneSchema],
    ['MessageChanges', messageChangesSchema],
    ['UploadedFile', uploadedFileSchema],
    ['SocketErrorPayload', socketErrorSchema],
  ] as const)('the mirror of %s has exactly its fields', (typeName, schema) => {
    expect(byName(fieldsOfSchema(schema))).toEqual(byName(fieldsOfType(typeName)));
  });

  it('every server event of ServerEventPayloads has a payload schema, and no other event has one', () => {
    const events = fieldsOfType('ServerEventPayloads').map((f) => f.name);
    expect(Object.keys(serverEventSchemas).sort()).toEqual(events.sort());
  });

  it.each(Object.keys(serverEventSchemas))(
    'the payload schema of %s has exactly the fields of its payload type',
    (event) => {
      const schema = serverEventSchemas[event as keyof typeof serverEventSchemas];
      expect(byName(fieldsOfSchema(schema))).toEqual(byName(fieldsOfType('ServerEventPayloads', event)));
    },
  );
});
