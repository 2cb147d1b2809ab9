#!/usr/bin/env node
// Lists what FerretDB asked PostgreSQL to read, per collection and per pushed-down filter, from
// a PostgreSQL log written with `log_min_duration_statement = 0`, and fails when a read had no
// WHERE at all (a whole-collection scan). Usage, around any run (tests, bench, npm start), with
// the repository's PostgreSQL cluster (docs/local-store.md; its log is .local/postgres/postgresql.log):
//   psql -h 127.0.0.1 -p 54329 -U postgres -d ferretdb -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()"
//   LINE=$(wc -l < .local/postgres/postgresql.log); <run something>
//   psql ... -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()"
//   node deploy/local/find-scans.mjs .local/postgres/postgresql.log $LINE
// The log holds every client's statements: FerretDBs other runs started on the same cluster too.
// Every pushed-down filter should start with an indexed field (FerretDB only pushes top-level
// equalities, and the GIN index of a field exists when it leads one of the collection's indexes).
import { readFileSync } from 'node:fs';

const [file, from = '0'] = process.argv.slice(2);
if (!file) {
  console.error('usage: find-scans.mjs <postgresql log> [first line]');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split('\n').slice(Number(from));
const reads = new Map();
let scans = 0;
lines.forEach((line, i) => {
  if (!line.includes(' execute ') && !line.includes('statement: ')) return;
  const m = /SELECT\s+_jsonb FROM "([^"]+)"\."([^"]+)"(.*)/.exec(line);
  if (!m) return;
  const collection = m[2].replace(/_[0-9a-f]{8}$/, '');
  // FerretDB's own catalog (one row per collection, read when it resolves a collection's table).
  if (collection === '_ferretdb_database_metadata') return;
  // Parameters come in pairs (`_jsonb->$1 @> $2`): the odd ones name the fields.
  const params = [...(lines[i + 1] ?? '').matchAll(/\$(\d+) = '([^']*)'/g)];
  const pushed = m[3].includes('WHERE') ? params.filter((p) => Number(p[1]) % 2 === 1).map((p) => p[2]) : [];
  if (pushed.length === 0) scans++;
  const key = `${collection.padEnd(14)} ${pushed.length ? pushed.join(', ') : 'NO WHERE: whole collection'}`;
  reads.set(key, (reads.get(key) ?? 0) + 1);
});
for (const [key, n] of [...reads].sort()) console.log(`${String(n).padStart(7)}  ${key}`);
console.log(scans ? `${scans} whole-collection reads` : 'no whole-collection reads');
process.exit(scans ? 1 : 0);
