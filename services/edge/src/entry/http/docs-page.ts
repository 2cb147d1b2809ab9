/**
 * `/api/docs`: the OpenAPI and AsyncAPI documents rendered as one static HTML page, built once
 * on the server. No script and nothing fetched: the network of many deployments reaches no CDN,
 * and a page of plain tables needs neither.
 */
type Json = Record<string, any>;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** Inline code spans of the documents' prose (`x`). */
const prose = (s: unknown) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');
const OBJECT_ID = /^\^\[0-9a-f(A-F)?\]\{24\}\$$/;

/** A compact type for a schema: `ObjectId`, `integer 1..100`, `{ userId: ObjectId, readAt: date-time }[]`. */
function typeOf(schema: Json | undefined, doc: string): string {
  if (!schema) return 'any';
  if (schema.$ref) {
    const name = String(schema.$ref).split('/').pop();
    return `<a href="#${doc}-schema-${esc(name)}">${esc(name)}</a>`;
  }
  if ('const' in schema) return `<code>${esc(JSON.stringify(schema.const))}</code>`;
  if (schema.enum) return schema.enum.map((v: unknown) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
  const union = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (union) return union.map((s: Json) => typeOf(s, doc)).join(schema.allOf ? ' &amp; ' : ' | ');
  if (Array.isArray(schema.type))
    return schema.type.map((t: string) => typeOf({ ...schema, type: t }, doc)).join(' | ');
  switch (schema.type) {
    case 'array':
      return `${typeOf(schema.items, doc)}[]${range(schema.minItems, schema.maxItems, ' items')}`;
    case 'object': {
      const props = Object.entries((schema.properties ?? {}) as Record<string, Json>);
      if (!props.length) return 'object';
      const required = new Set<string>(schema.required ?? []);
      return `{ ${props.map(([k, v]) => `${esc(k)}${required.has(k) ? '' : '?'}: ${typeOf(v, doc)}`).join(', ')} }`;
    }
    case 'string':
      if (OBJECT_ID.test(schema.pattern ?? '')) return 'ObjectId';
      if (schema.format) return esc(schema.format);
      return `string${range(schema.minLength, schema.maxLength, ' chars')}`;
    case 'integer':
    case 'number':
      return `${schema.type}${range(schema.minimum, schema.maximum, '')}`;
    default:
      return esc(schema.type ?? 'any');
  }
}
const range = (min?: number, max?: number, unit = '') =>
  min === undefined && max === undefined ? '' : ` (${min ?? 0}..${max ?? ''}${unit})`;

const table = (head: string[], rows: string[][]) =>
  rows.length === 0
    ? ''
    : `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;

function restOperation(path: string, method: string, op: Json): string {
  const params = (op.parameters ?? []).map((p: Json) => [
    `<code>${esc(p.name)}</code>`,
    esc(p.in),
    p.required ? 'yes' : '',
    typeOf(p.schema, 'rest'),
  ]);
  const body = op.requestBody
    ? Object.entries(op.requestBody.content as Json)
        .map(([type, c]) => `<p>Body (<code>${esc(type)}</code>): ${typeOf(c.schema, 'rest')}</p>`)
        .join('')
    : '';
  const responses = Object.entries(op.responses as Json).map(([status, r]) => {
    const content = Object.entries((r.content ?? {}) as Json)
      .map(([type, c]) => (type === 'application/json' ? typeOf(c.schema, 'rest') : `<code>${esc(type)}</code>`))
      .join(', ');
    return [`<strong>${esc(status)}</strong>`, prose(r.description), content];
  });
  const auth = op.security?.length === 0 ? 'public' : 'Bearer token';
  return `<article id="rest-${esc(op.operationId)}">
<h4><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code> <small>${auth}</small></h4>
<p>${prose(op.summary)}</p>${op.description ? `<p>${prose(op.description)}</p>` : ''}
${table(['parameter', 'in', 'required', 'type'], params)}${body}
${table(['status', 'meaning', 'body'], responses)}</article>`;
}

function restSection(openapi: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(openapi.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      const tag = op.tags?.[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), restOperation(path, method, op)]);
    }
  }
  return (openapi.tags as Json[])
    .map(
      (t) =>
        `<h3 id="rest-tag-${esc(t.name)}">${esc(t.name)}</h3><p>${prose(t.description)}</p>${(byTag.get(t.name) ?? []).join('')}`,
    )
    .join('');
}

function socketSection(asyncapi: Json, action: 'receive' | 'send'): string {
  const messages = asyncapi.components.messages as Json;
  const payloadOf = (ref: Json) => messages[String(ref.$ref).split('/').pop()!]?.payload;
  return Object.entries(asyncapi.operations as Json)
    .filter(([, op]) => op.action === action)
    .map(([name, op]) => {
      const ack = op.reply ? `<p>Acknowledgement: ${typeOf(payloadOf(op.reply.messages[0]), 'socket')}</p>` : '';
      return `<article id="socket-${esc(name)}"><h4><code>${esc(name)}</code></h4>
${op.summary ? `<p>${prose(op.summary)}</p>` : ''}${op.description ? `<p>${prose(op.description)}</p>` : ''}
<p>Payload: ${typeOf(payloadOf(op.messages[0]), 'socket')}</p>${ack}</article>`;
    })
    .join('');
}

function schemaSection(schemas: Json, doc: 'rest' | 'socket'): string {
  return Object.entries(schemas)
    .map(([name, schema]) => {
      const props = Object.entries((schema.properties ?? {}) as Record<string, Json>);
      const required = new Set<string>(schema.required ?? []);
      const rows = props.map(([k, v]) => [
        `<code>${esc(k)}</code>`,
        typeOf(v, doc),
        required.has(k) ? 'yes' : '',
        prose(v.description ?? ''),
      ]);
      const body = rows.length ? table(['field', 'type', 'required', 'notes'], rows) : `<p>${typeOf(schema, doc)}</p>`;
      return `<section class="schema" id="${doc}-schema-${esc(name)}"><h4>${esc(name)}</h4>${body}</section>`;
    })
    .join('');
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 1.5rem;color:#1d2330}
h2{border-bottom:2px solid #d8dde6;padding-bottom:.2rem;margin-top:2.5rem}h4{margin:.2rem 0}
article,.schema{border:1px solid #d8dde6;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}
table{border-collapse:collapse;margin:.4rem 0;width:100%}th,td{border-top:1px solid #e6e9ef;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{font-weight:600;background:#f4f6f9}code{font:13px ui-monospace,monospace;background:#f4f6f9;padding:0 .2rem;border-radius:3px}
.method{display:inline-block;min-width:4rem;text-align:center;color:#fff;border-radius:4px;font-size:13px;padding:0 .3rem}
.get{background:#2f6fb3}.post{background:#2e8b57}.delete{background:#b33a3a}small{color:#5b6472;font-weight:400}
a{color:#2f5fa3}nav ul{columns:2}`;

/** The whole page, from the two documents served beside it. */
export function renderDocsPage(openapi: Json, asyncapi: Json): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(openapi.info.title)}</title><style>${STYLE}</style></head>
<body><header><h1>Chat platform API</h1>
<p>${prose(openapi.info.description)}</p><p>${prose(asyncapi.info.description)}</p>
<p>Machine-readable: <a href="/api/docs/openapi.json">OpenAPI ${esc(openapi.openapi)}</a> (REST) and
<a href="/api/docs/asyncapi.json">AsyncAPI ${esc(asyncapi.asyncapi)}</a> (Socket.IO).</p>
<nav aria-label="Contents"><ul><li><a href="#rest">REST routes</a></li><li><a href="#socket-client">Client events</a></li>
<li><a href="#socket-server">Server events</a></li><li><a href="#rest-schemas">REST schemas</a></li>
<li><a href="#socket-schemas">Socket schemas</a></li></ul></nav></header>
<main><h2 id="rest">REST routes</h2>${restSection(openapi)}
<h2 id="socket-client">Client events (client → server)</h2>${socketSection(asyncapi, 'receive')}
<h2 id="socket-server">Server events (server → client)</h2>${socketSection(asyncapi, 'send')}
<h2 id="rest-schemas">REST schemas</h2>${schemaSection(openapi.components.schemas, 'rest')}
<h2 id="socket-schemas">Socket schemas</h2>${schemaSection(asyncapi.components.schemas, 'socket')}
</main></body></html>
`;
}
