import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunOwnFerretDb, LOCAL_POSTGRES_CONF, localPostgres, startFerretDb } from '@chat/testkit';

// The repository's PostgreSQL cluster (docs/local-store.md), which `npm test` starts through
// deploy/local/infra-up.sh: it must run with the settings of deploy/local/postgres/postgresql.conf,
// and autovacuum must analyze and vacuum FerretDB's tables on its own (the machine's cluster
// had autovacuum off: no statistics, JIT on lookups, dead row versions piling up).

/** Whether this machine has PostgreSQL's server binaries (else FerretDB runs on SQLite here). */
const postgresInstalled = () =>
  (existsSync('/usr/lib/postgresql') &&
    readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`))) ||
  (() => {
    try {
      execFileSync('initdb', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
const noCluster = process.env.FERRETDB_HANDLER === 'sqlite' || !postgresInstalled();

const { port } = localPostgres();

/** Rows of `query` in database `db` of the repository's cluster, columns split on tabs. */
function sql(db: string, query: string): string[][] {
  const out = execFileSync(
    'psql',
    [
      `postgres://postgres@127.0.0.1:${port}/${db}`,
      '-X',
      '-q',
      '-A',
      '-t',
      '-F',
      '\t',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      query,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** name → value of every setting in the repository's postgresql.conf (names lower-cased, quotes removed). */
function repoSettings(): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of readFileSync(LOCAL_POSTGRES_CONF, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_.]+)\s*=?\s*('(?:[^']|'')*'|[^\s#]+)/.exec(line);
    if (!m) throw new Error(`cannot read this line of ${LOCAL_POSTGRES_CONF}: ${raw}`);
    const value = m[2] as string;
    settings.set(
      (m[1] as string).toLowerCase(),
      value.startsWith("'") ? value.slice(1, -1).replace(/''/g, "'") : value,
    );
  }
  return settings;
}

describe.skipIf(noCluster)(`the repository's PostgreSQL cluster (127.0.0.1:${port})`, () => {
  it('runs with every setting of deploy/local/postgres/postgresql.conf, written as SHOW prints it', () => {
    const inForce = new Map(
      sql('postgres', 'SELECT lower(name), current_setting(name) FROM pg_settings').map(([n, v]) => [n, v]),
    );
    const wanted = repoSettings();
    const differing = [...wanted]
      .filter(([name, value]) => inForce.get(name) !== value)
      .map(([name, value]) => `${name}: file ${value}, in force ${inForce.get(name) ?? '(unknown setting)'}`);
    expect(differing).toEqual([]);
    // and the file keeps what the store needs (docs/local-store.md says why)
    expect(
      Object.fromEntries(
        [
          'autovacuum',
          'track_counts',
          'jit',
          'max_parallel_workers_per_gather',
          'plan_cache_mode',
          'fsync',
          'synchronous_commit',
        ].map((n) => [n, wanted.get(n)]),
      ),
    ).toEqual({
      autovacuum: 'on',
      track_counts: 'on',
      jit: 'off',
      max_parallel_workers_per_gather: '0',
      plan_cache_mode: 'force_custom_plan',
      fsync: 'on',
      synchronous_commit: 'on',
    });
    expect(Number.parseFloat(wanted.get('autovacuum_vacuum_scale_factor') ?? '0.2')).toBeLessThan(0.2);
    expect(Number.parseFloat(wanted.get('autovacuum_analyze_scale_factor') ?? '0.1')).toBeLessThan(0.1);
    // The server reads the copy infra-up made, and nothing else overrides it.
    const [[configFile]] = sql('postgres', 'SHOW config_file') as [[string]];
    expect(readFileSync(configFile, 'utf8')).toBe(readFileSync(LOCAL_POSTGRES_CONF, 'utf8'));
  });

  it("plans each of FerretDB's statements with its parameters in the database ferretdb (ferretdb-indexes.sql)", () => {
    expect(sql('ferretdb', 'SHOW plan_cache_mode')).toEqual([['force_custom_plan']]);
    const perDatabase = sql(
      'ferretdb',
      `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
       WHERE d.datname = 'ferretdb' AND s.setrole = 0`,
    );
    expect(perDatabase.flat().join()).toContain('plan_cache_mode=force_custom_plan');
  });

  describe.skipIf(!canRunOwnFerretDb())('through a FerretDB of its own', () => {
    let ferret: Awaited<ReturnType<typeof startFerretDb>>;
    let conn: mongoose.Connection;
    const dbName = `localstore_${randomBytes(6).toString('hex')}`;
    const N = 3_000;

    /** FerretDB's table of the collection `items`: its autovacuum counters. */
    const tableStats = () => {
      const rows = sql(
        'ferretdb',
        `SELECT coalesce(last_autoanalyze::text, ''), autovacuum_count, n_tup_upd, n_dead_tup
         FROM pg_stat_user_tables WHERE schemaname = '${dbName}' AND relname LIKE 'items\\_%'`,
      );
      expect(rows).toHaveLength(1);
      const [lastAnalyze, vacuums, updated, dead] = rows[0] as string[];
      return { lastAnalyze, vacuums: Number(vacuums), updated: Number(updated), dead: Number(dead) };
    };
    /** Polls `tableStats` until `done` holds, for at most `seconds`. */
    const waitFor = async (done: (s: ReturnType<typeof tableStats>) => boolean, seconds: number) => {
      const deadline = Date.now() + seconds * 1000;
      for (;;) {
        const stats = tableStats();
        if (done(stats) || Date.now() > deadline) return stats;
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    beforeAll(async () => {
      ferret = await startFerretDb();
      expect(ferret.postgresUrl).toBe(localPostgres().ferretdbUrl);
      const url = new URL(ferret.mongoBase);
      url.pathname = `/${dbName}`;
      conn = await mongoose.createConnection(url.toString(), { serverSelectionTimeoutMS: 10_000 }).asPromise();
    });
    afterAll(async () => {
      await conn?.dropDatabase().catch(() => undefined);
      await conn?.close();
      await ferret?.stop();
    });

    it(
      'analyzes a new collection within seconds of its filling, then vacuums its dead row versions',
      { timeout: 120_000 },
      async () => {
        const items = conn.collection('items');
        for (let i = 0; i < N; i += 500) {
          await items.insertMany(
            Array.from({ length: 500 }, (_, j) => ({ n: i + j, chatId: `c${(i + j) % 50}`, text: 'x'.repeat(100) })),
          );
        }
        const analyzed = await waitFor((s) => s.lastAnalyze !== '', 45);
        expect(analyzed.lastAnalyze, 'last_autoanalyze of the new collection after 45 s').not.toBe('');

        // Every update rewrites the whole row: N dead row versions, which autovacuum must remove.
        // Once the updates are in the counters (n_tup_upd; PostgreSQL publishes them up to 10 s
        // late), few dead versions means a vacuum ran after them: one before would have left
        // n_dead_tup at N when they came in.
        const before = tableStats().vacuums;
        await items.updateMany({}, { $set: { text: 'y'.repeat(100) } });
        const vacuumed = await waitFor((s) => s.updated >= N && s.vacuums > before && s.dead < N / 10, 45);
        expect(
          {
            updatesCounted: vacuumed.updated >= N,
            vacuumedAgain: vacuumed.vacuums > before,
            deadBelowTenth: vacuumed.dead < N / 10,
          },
          `dead row versions ${vacuumed.dead} after 45 s`,
        ).toEqual({ updatesCounted: true, vacuumedAgain: true, deadBelowTenth: true });
      },
    );
  });
});
