// The MongoDB-wire server of a run. By default the bench starts its own FerretDB process (the
// binary `npm run infra` built) on the same PostgreSQL database as the shared one: the data
// path is the same, but the idle-CPU figure then counts only this run's FerretDB and its own
// PostgreSQL backends (told apart by client port), not other test runs sharing the
// machine's FerretDB. --shared-store uses MONGO_URL as it is (e.g. a real mongod).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '@chat/testkit';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FERRETDB_BIN = join(REPO, '.local/bin/ferretdb');
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/ferretdb';

/** The --postgresql-url of the FerretDB `npm run infra` started, so ours uses the same database. */
function sharedPostgresUrl() {
  try {
    const pid = readFileSync(join(REPO, '.local/ferretdb.pid'), 'utf8').trim();
    const arg = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((a) => a.startsWith('--postgresql-url='));
    if (arg) return arg.slice('--postgresql-url='.length);
  } catch {
    // not running from here: the default of infra-up.sh
  }
  return DEFAULT_PG_URL;
}

export const canRunOwnFerretDb = () => existsSync(FERRETDB_BIN);

/** A FerretDB of our own on a free loopback port. */
export async function startOwnFerretDb() {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-ferretdb-'));
  const pgUrl = sharedPostgresUrl();
  const child = spawn(
    FERRETDB_BIN,
    [`--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', `--state-dir=${stateDir}`, '--log-level=error', '--handler=postgresql', `--postgresql-url=${pgUrl}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitForPort(port);
  return {
    mongoBase: `mongodb://127.0.0.1:${port}/chat`,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        const done = () => {
          rmSync(stateDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Local ports of the TCP connections `pid` holds (its fds' socket inodes, looked up in /proc/net). */
function tcpPortsOf(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9])) ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

const pidsOfUser = (uid) =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1] === uid;
      } catch {
        return false;
      }
    })
    .map(Number);

/**
 * PostgreSQL processes that serve this run: the server's own (postmaster, writers,
 * autovacuum: no client port in their title) and the backends whose client port is a
 * connection of our FerretDB (`ferretPid`), so other clients' backends (the shared FerretDB,
 * other test runs) are left out. Without `ferretPid` it is every postgres process, an upper
 * bound; `scope` says which.
 */
export function postgresPidsFor(ferretPid) {
  const all = pidsOfUser(postgresUid());
  if (!ferretPid) return { pids: all, scope: 'all postgres processes' };
  const ours = tcpPortsOf(ferretPid);
  const pids = all.filter((pid) => {
    let title = '';
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return false;
    }
    const port = /\((\d+)\)/.exec(title)?.[1]; // "postgres: 15/main: user db 127.0.0.1(53014) idle"
    return port === undefined || ours.has(Number(port));
  });
  return { pids, scope: 'postgres server processes and our FerretDB\u2019s backends' };
}

let uid;
function postgresUid() {
  uid ??= (() => {
    try {
      return execFileSync('id', ['-u', 'postgres']).toString().trim();
    } catch {
      return '-1';
    }
  })();
  return uid;
}
