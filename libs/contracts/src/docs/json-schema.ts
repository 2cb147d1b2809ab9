import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;
/** OpenAPI 3.1 speaks JSON Schema 2020-12; AsyncAPI 3.0's default schema format is a superset of draft-07. */
export type SchemaTarget = 'draft-2020-12' | 'draft-07';

/**
 * Query integers arrive as digit strings and are parsed (`queryInt`: string -> transform ->
 * bounded number). In input mode zod describes only the string; a client writes `?limit=20`,
 * so describe the number it becomes, with its bounds.
 */
function describeParsedNumbers(zodSchema: z.ZodType, jsonSchema: JsonSchema) {
  const def = zodSchema._zod.def;
  if (def.type !== 'pipe') return;
  const out = (def as unknown as { out: z.ZodType }).out;
  if (out._zod.def.type !== 'number') return;
  const number: JsonSchema = z.toJSONSchema(out);
  delete number.$schema;
  for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
  Object.assign(jsonSchema, number);
}

const tidy = ({ zodSchema, jsonSchema }: { zodSchema: unknown; jsonSchema: JsonSchema }) => {
  describeParsedNumbers(zodSchema as z.ZodType, jsonSchema);
  // `format: date-time` says it all; zod adds a 400-character regex for the same thing.
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
  // zod bounds every `.int()` by the safe integers: that means "any integer" here.
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
};

/**
 * Everything is converted as input (what a client sends): request schemas transform their
 * input (ids to lower case), and the response mirrors have no transforms, so both read right.
 */
const options = (target: SchemaTarget) => ({ io: 'input' as const, target, override: tidy });

/** One schema, inline (for parameters: no references inside). */
export function jsonSchemaOf(schema: z.ZodType, target: SchemaTarget): JsonSchema {
  const json: JsonSchema = z.toJSONSchema(schema, options(target));
  delete json.$schema; // the document's dialect applies
  return json;
}

/**
 * The named schemas of one document (`#/components/schemas/<name>`), converted together so
 * that a named schema used inside another becomes a `$ref`.
 *
 * @example
 * const components = new SchemaComponents('draft-2020-12');
 * components.name('Chat', chatViewSchema);
 * const ref = components.ref(chatResponseSchema, 'ChatResponse'); // { $ref: '#/components/schemas/ChatResponse' }
 * const schemas = components.emit();
 */
export class SchemaComponents {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Set<string>();

  constructor(private readonly target: SchemaTarget) {}

  /** Names `schema`; one already named elsewhere is copied, so each name shows its own fields. */
  name(name: string, schema: z.ZodType): { $ref: string } {
    if (this.names.has(name)) throw new Error(`Two schemas named ${name}`);
    const own = this.registry.has(schema) ? schema.clone(schema._zod.def) : schema;
    this.registry.add(own, { id: name });
    this.names.add(name);
    return refTo(name);
  }

  /** A reference to `schema`: under the name it already has, else under `name`. */
  ref(schema: z.ZodType, name: string): { $ref: string } {
    const known = this.registry.get(schema)?.id;
    return known ? refTo(known) : this.name(name, schema);
  }

  emit(): Record<string, JsonSchema> {
    const { schemas } = z.toJSONSchema(this.registry, { ...options(this.target), uri: (id) => refTo(id).$ref });
    // zod puts unnamed schemas it must share (cycles) under `__shared`, which no document can refer to.
    if ('__shared' in schemas) throw new Error('A schema refers to itself: name the schemas in its cycle');
    // `$id` would rebase relative references inside the schema, and the dialect is the document's.
    return Object.fromEntries(
      Object.entries(schemas).map(([name, { $id: _id, $schema: _dialect, ...json }]) => [name, json as JsonSchema]),
    );
  }
}

const refTo = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** `send_message` -> `SendMessage`, `listChats` -> `ListChats`. */
export const pascal = (s: string) => s.replace(/(^|_)([a-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());
