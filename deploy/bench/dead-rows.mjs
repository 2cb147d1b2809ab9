// Rows 10d-10g: dead rows against live rows of the PostgreSQL tables FerretDB keeps our
// collections in, from PostgreSQL's own statistics (pg_stat_user_tables). Every update or
// delete through FerretDB leaves a dead row version behind until the store's maintenance
// (autovacuum) reclaims it; the bench runs no VACUUM or ANALYZE of its own, so what this reads
// is what the store's own maintenance left.
// FerretDB (1.x, PostgreSQL backend) keeps a Mongo database as a schema of the same name, and in
// it the table `_ferretdb_database_metadata`: one JSON row per collection, `_id` the collection's
// name and `table` its PostgreSQL table.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mongoServerPids } from './procstat.mjs';
import { sleep } from './stats.mjs';

const PSQL_TIMEOUT_MS = 20_000;

/** `--postgresql-url=` (or FERRETDB_POSTGRESQL_URL) of the FerretDB process `pid`, if readable. */
function postgresUrlOfProcess(pid) {
  try {
    const arg = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .find((a) => a.startsWith('--postgresql-url='));
    if (arg) return arg.slice('--postgresql-url='.length);
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith('FERRETDB_POSTGRESQL_URL='));
    return env?.slice('FERRETDB_POSTGRESQL_URL='.length);
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL database behind the run's MongoDB-wire server: what store-server.mjs says
 * (`postgresUrl`), else what the FerretDB process was started with (our own, or the one
 * listening on MONGO_URL's port with --shared-store), else FERRETDB_POSTGRESQL_URL here.
 * Undefined when there is none (a real mongod).
 */
export function postgresUrlFor(ferret, mongoUrl) {
  if (ferret?.postgresUrl) return ferret.postgresUrl;
  const pids = ferret?.pid ? [ferret.pid] : mongoServerPids(mongoUrl);
  for (const pid of pids) {
    const url = postgresUrlOfProcess(pid);
    if (url) return url;
  }
  return process.env.FERRETDB_POSTGRESQL_URL;
}

const ident = (s) => `"${s.replaceAll('"', '""')}"`;
const literal = (s) => `'${s.replaceAll("'", "''")}'`;

/** One JSON value from one SQL statement, through `psql`. */
function queryJson(pgUrl, sql) {
  const out = execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', pgUrl, '-c', sql], {
    timeout: PSQL_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out.toString().trim());
}

/** The server's autovacuum settings (so the report says what maintenance the store had). */
export function autovacuumSettings(pgUrl) {
  return queryJson(
    pgUrl,
    `select json_object_agg(name, setting || coalesce(unit, '')) from pg_settings
      where name in ('autovacuum', 'autovacuum_naptime', 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor', 'track_counts')`,
  );
}

/**
 * Live and dead rows of each collection's table in database (schema) `database`, with how
 * often it was vacuumed and analyzed, by hand and by autovacuum.
 */
export function tableRows(pgUrl, database, collections) {
  const rows = queryJson(
    pgUrl,
    `select coalesce(json_agg(json_build_object(
        'collection', m._jsonb->>'_id', 'table', m._jsonb->>'table',
        'live', s.n_live_tup, 'dead', s.n_dead_tup,
        'vacuums', s.vacuum_count, 'autovacuums', s.autovacuum_count,
        'analyzes', s.analyze_count, 'autoanalyzes', s.autoanalyze_count,
        'lastAutovacuum', s.last_autovacuum)), '[]')
      from ${ident(database)}._ferretdb_database_metadata m
      left join pg_stat_user_tables s on s.schemaname = ${literal(database)} and s.relname = m._jsonb->>'table'
      where m._jsonb->>'_id' in (${collections.map(literal).join(', ')})`,
  );
  return Object.fromEntries(rows.map((r) => [r.collection, r]));
}

/** The exact number of documents of `collection`: count(*) of its table, fast where FerretDB's count is not. */
export function documentCount(pgUrl, database, collection) {
  const [table] = queryJson(
    pgUrl,
    `select coalesce(json_agg(m._jsonb->>'table'), '[]') from ${ident(database)}._ferretdb_database_metadata m where m._jsonb->>'_id' = ${literal(collection)}`,
  );
  if (!table) return 0;
  return queryJson(pgUrl, `select count(*) from ${ident(database)}.${ident(table)}`);
}

/** Whether `dead` is within `ratio` × `live` plus the server's own vacuum threshold (see below). */
export const deadWithin = ({ live, dead }, ratio, threshold) => dead <= ratio * live + threshold;

/**
 * Reads the tables' rows until every one is within `ratio` (deadWithin), at most `waitMs`: the
 * statistics reach pg_stat_user_tables a moment after the writes, and autovacuum looks at a
 * table once per `autovacuum_naptime`, so the store's maintenance gets one round after the
 * load stops (not when autovacuum is off). The slack of `autovacuum_vacuum_threshold` rows (50 by default) is what
 * autovacuum itself leaves alone; it only matters for a table with (almost) no live rows, like
 * an outbox whose rows are deleted once published.
 */
export async function deadRowsAfterLoad(pgUrl, database, collections, { ratio, maxWaitMs }) {
  const settings = autovacuumSettings(pgUrl);
  const threshold = Number.parseInt(settings.autovacuum_vacuum_threshold ?? '50', 10);
  const naptimeMs = Number.parseInt(settings.autovacuum_naptime ?? '60', 10) * 1000;
  // With autovacuum off nothing will come to clean up: no point waiting for it.
  const waitMs = settings.autovacuum === 'off' ? 0 : Math.min(maxWaitMs, naptimeMs + 10_000);
  const started = Date.now();
  let tables;
  for (;;) {
    await sleep(2_000);
    tables = tableRows(pgUrl, database, collections);
    const ok = collections.every((c) => tables[c] && deadWithin(tables[c], ratio, threshold));
    if (ok || Date.now() - started >= waitMs) break;
    await sleep(3_000);
  }
  return { tables, settings, threshold, ratio, waitedSeconds: (Date.now() - started) / 1000, database };
}
