import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { restartableProcess, type RunningProcess } from './processes.js';
import { freePort } from './ports.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FERRETDB_BIN = join(REPO_ROOT, '.local/bin/ferretdb');
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/ferretdb';

/** The --postgresql-url of the FerretDB `npm run infra` started, so ours uses the same database. */
function sharedPostgresUrl(): string {
  try {
    const pid = readFileSync(join(REPO_ROOT, '.local/ferretdb.pid'), 'utf8').trim();
    const arg = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .find((a) => a.startsWith('--postgresql-url='));
    if (arg) return arg.slice('--postgresql-url='.length);
  } catch {
    // not running from here: the default of infra-up.sh
  }
  return DEFAULT_PG_URL;
}

/** Whether `npm run infra` has built the FerretDB binary a private one is started from. */
export const canRunOwnFerretDb = (): boolean => existsSync(FERRETDB_BIN);

/**
 * A FerretDB of its own on a free loopback port, over the same PostgreSQL database as the
 * shared one (so the GIN index trigger applies), for a bench or a fault test that measures or
 * kills it without touching other test runs. `mongoBase` is its URL with database `chat`.
 */
export async function startFerretDb(): Promise<RunningProcess & { mongoBase: string }> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'ferretdb-'));
  const args = [
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    `--state-dir=${stateDir}`,
    '--log-level=error',
    '--handler=postgresql',
    `--postgresql-url=${sharedPostgresUrl()}`,
  ];
  const running = await restartableProcess({
    port,
    url: `mongodb://127.0.0.1:${port}`,
    dir: stateDir,
    launch: () => spawn(FERRETDB_BIN, args, { stdio: ['ignore', 'ignore', 'inherit'] }),
  });
  return Object.assign(running, { mongoBase: `mongodb://127.0.0.1:${port}/chat` });
}
