// The MongoDB-wire server of a run. By default the bench starts its own FerretDB process (the
// binary `npm run infra` built) on the same PostgreSQL database as the shared one: the data
// path is the same, but the idle-CPU figure then counts only this run's FerretDB and its own
// PostgreSQL backends (told apart by client port), not other test runs sharing the
// machine's FerretDB. --shared-store uses MONGO_URL as it is (e.g. a real mongod).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { canRunOwnFerretDb, startFerretDb } from '@chat/testkit';

export { canRunOwnFerretDb };

/** A FerretDB of our own on a free loopback port (see @chat/testkit's startFerretDb). */
export async function startOwnFerretDb() {
  const ferret = await startFerretDb();
  return { mongoBase: ferret.mongoBase, pid: ferret.process.pid, stop: () => ferret.stop() };
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
