import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every service has the same rings (docs/architecture.md, "Layout"): entry/ (inbound doors), use-cases/ (one
// file per verb), domain/ (pure rules), data/ (documents and repositories), clients/ (calls to
// other services), and at the top only its composition (app.ts), config.ts, main.ts, index.ts.
const SERVICES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../services');
const ROOT_FILES = new Set(['app.ts', 'config.ts', 'main.ts', 'index.ts']);
/** The rings a file of each ring may import: imports point inward only. */
const MAY_IMPORT: Record<string, string[]> = {
  domain: ['domain'],
  data: ['data', 'domain', 'config'],
  clients: ['clients', 'domain', 'config'],
  'use-cases': ['use-cases', 'domain', 'data', 'clients', 'config'],
  entry: ['entry', 'use-cases', 'domain', 'data', 'clients', 'config'],
};

const sourcesOf = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourcesOf(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** `entry`, `data`, ... for a file under src/; `config` for config.ts, `root` for the other top files. */
function ringOf(src: string, file: string): string {
  const [first, ...rest] = relative(src, file).split('/');
  if (rest.length === 0)
    return first === 'config.ts' ? 'config' : ROOT_FILES.has(first as string) ? 'root' : `stray ${first}`;
  return first as string;
}

const relativeImports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')),
  );

/** The rings that speak the domain: storage (drivers, query and update operators) stays in data/. */
const STORAGE_FREE = new Set(['use-cases', 'domain']);
const DRIVER_IMPORT = /(?:from|import)\s*\(?\s*['"](mongodb|mongoose)(?:\/[^'"]*)?['"]/g;
/** A `$`-key of an object (`$set:`, `'$ne':`): a MongoDB query or update operator. */
const OPERATOR_KEY = /[{,\s](['"]?)(\$[A-Za-z]\w*)\1\s*:/g;

/** Comments may name an operator (why a repository method exists); only code counts. */
const codeOf = (file: string) =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '');

/** `file: import mongodb`, `file: $set`, ... for each piece of storage machinery in the file. */
function storageIn(src: string, file: string): string[] {
  const code = codeOf(file);
  const name = relative(src, file);
  return [
    ...[...code.matchAll(DRIVER_IMPORT)].map((m) => `${name}: import ${m[1]}`),
    ...[...code.matchAll(OPERATOR_KEY)].map((m) => `${name}: ${m[2]}`),
  ];
}

const services = readdirSync(SERVICES).filter((s) => !s.startsWith('.'));

describe.each(services)('%s', (service) => {
  const src = join(SERVICES, service, 'src');
  const files = sourcesOf(src);

  it('keeps every source file in a ring or among the top files', () => {
    const stray = files.filter((f) => !(ringOf(src, f) in MAY_IMPORT) && !['root', 'config'].includes(ringOf(src, f)));
    expect(stray.map((f) => relative(src, f))).toEqual([]);
  });

  it('imports only inward: entry → use-cases → data / clients → domain', () => {
    const outward = files.flatMap((file) => {
      const ring = ringOf(src, file);
      const allowed = MAY_IMPORT[ring];
      if (!allowed) return [];
      return relativeImports(file)
        .filter((target) => !allowed.includes(ringOf(src, target)))
        .map((target) => `${relative(src, file)} → ${relative(src, target)}`);
    });
    expect(outward).toEqual([]);
  });

  it('keeps storage in data/: no mongodb/mongoose import and no $-operator object in use-cases/ or domain/', () => {
    const storage = files.filter((f) => STORAGE_FREE.has(ringOf(src, f))).flatMap((f) => storageIn(src, f));
    expect(storage).toEqual([]);
  });
});
