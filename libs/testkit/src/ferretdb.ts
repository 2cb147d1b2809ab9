import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { restartableProcess, type RunningProcess } from './processes.js';
import { freePort } from './ports.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FERRETDB_BIN = join(REPO_ROOT, '.local/bin/ferretdb');
/** The settings of the repository's PostgreSQL cluster (docs/local-store.md), its port among them. */
export const LOCAL_POSTGRES_CONF = join(REPO_ROOT, 'deploy/local/postgres/postgresql.conf');

/**
 * The repository's own PostgreSQL cluster, which `npm run infra` (deploy/local/infra-up.sh)
 * makes and starts: its port (from deploy/local/postgres/postgresql.conf) and the URL of
 * FerretDB's database in it.
 */
export function localPostgres(): { port: number; ferretdbUrl: string } {
  const port = /^\s*port\s*=\s*(\d+)/m.exec(readFileSync(LOCAL_POSTGRES_CONF, 'utf8'))?.[1];
  if (!port) throw new Error(`${LOCAL_POSTGRES_CONF} has no "port = <number>" line`);
  return { port: Number(port), ferretdbUrl: `postgres://postgres@127.0.0.1:${port}/ferretdb` };
}

/** Whether the FerretDB `npm run infra` started for port 27017 runs on SQLite (no PostgreSQL here). */
function sharedFerretDbOnSqlite(): boolean {
  try {
    const pid = readFileSync(join(REPO_ROOT, '.local/ferretdb.pid'), 'utf8').trim();
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--handler=sqlite');
  } catch {
    return false;
  }
}

/** Whether `npm run infra` has built the FerretDB binary a private one is started from. */
export const canRunOwnFerretDb = (): boolean => existsSync(FERRETDB_BIN);

/**
 * A FerretDB of its own on a free loopback port, for a bench or a fault test that measures or
 * kills it without touching other test runs. It stores in the database ferretdb of the
 * repository's PostgreSQL cluster (so the GIN index trigger and the cluster's settings apply),
 * or, where `npm run infra` fell back to SQLite (or FERRETDB_HANDLER=sqlite), in SQLite files of
 * its own. `mongoBase` is its URL with database `chat`; `postgresUrl` the PostgreSQL database
 * it uses, if any.
 */
export async function startFerretDb(): Promise<RunningProcess & { mongoBase: string; postgresUrl?: string }> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'ferretdb-'));
  const sqlite = process.env.FERRETDB_HANDLER === 'sqlite' || sharedFerretDbOnSqlite();
  const postgresUrl = sqlite ? undefined : localPostgres().ferretdbUrl;
  if (sqlite) mkdirSync(join(stateDir, 'sqlite'));
  const args = [
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    `--state-dir=${stateDir}`,
    '--log-level=error',
    ...(postgresUrl
      ? ['--handler=postgresql', `--postgresql-url=${postgresUrl}`]
      : ['--handler=sqlite', `--sqlite-url=file:${join(stateDir, 'sqlite')}/`]),
  ];
  const running = await restartableProcess({
    port,
    url: `mongodb://127.0.0.1:${port}`,
    dir: stateDir,
    launch: () => spawn(FERRETDB_BIN, args, { stdio: ['ignore', 'ignore', 'inherit'] }),
  });
  return Object.assign(running, { mongoBase: `mongodb://127.0.0.1:${port}/chat`, postgresUrl });
}
