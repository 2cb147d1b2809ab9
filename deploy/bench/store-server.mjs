// The MongoDB-wire server of a run. By default the bench starts its own FerretDB process (the
// binary `npm run infra` built) on the repository's PostgreSQL cluster (deploy/local/postgres,
// the one `npm run infra` runs FerretDB on): the data path is the same, but the idle-CPU figure
// then counts only this run's FerretDB and its own PostgreSQL backends (told apart by client
// port), not other test runs sharing the machine's FerretDB. --shared-store uses MONGO_URL as it
// is (e.g. a real mongod).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { canRunOwnFerretDb, localPostgres, startFerretDb } from '@chat/testkit';

export { canRunOwnFerretDb };

/** A FerretDB of our own on a free loopback port (see @chat/testkit's startFerretDb). */
export async function startOwnFerretDb() {
  const ferret = await startFerretDb();
  return { mongoBase: ferret.mongoBase, pid: ferret.process.pid, stop: () => ferret.stop() };
}

/** The TCP sockets of this machine (/proc/net/tcp and tcp6): local port, state (0A: listening), inode. */
function tcpSockets() {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols.length > 9)
      .map((cols) => ({ port: parseInt(cols[1].split(':')[1], 16), state: cols[3], inode: cols[9] })),
  );
}

/** Inodes of the sockets process `pid` holds open. */
function socketInodesOf(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Local ports of the TCP connections `pid` holds. */
function tcpPortsOf(pid) {
  const inodes = socketInodesOf(pid);
  return new Set(
    tcpSockets()
      .filter((s) => inodes.has(s.inode))
      .map((s) => s.port),
  );
}

/** The pid of the PostgreSQL server (postmaster) listening on `port`, if one does. */
function postmasterOn(port) {
  const listening = new Set(
    tcpSockets()
      .filter((s) => s.state === '0A' && s.port === port)
      .map((s) => s.inode),
  );
  return postgresProcesses().find(({ pid }) => {
    try {
      return [...socketInodesOf(pid)].some((inode) => listening.has(inode));
    } catch {
      return false; // gone meanwhile
    }
  })?.pid;
}

/** Every process named postgres, with its parent's pid and its title ("postgres: chat-platform: postgres ferretdb 127.0.0.1(53014) idle"). */
function postgresProcesses() {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') return [];
        const ppid = Number(
          readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /s, '')
            .split(' ')[1],
        );
        return [{ pid: Number(pid), ppid, title: readFileSync(`/proc/${pid}/cmdline`, 'utf8') }];
      } catch {
        return [];
      }
    });
}

/** The port of the PostgreSQL a FerretDB process stores in (its --postgresql-url), or undefined (SQLite). */
function postgresPortOf(ferretPid) {
  const arg = readFileSync(`/proc/${ferretPid}/cmdline`, 'utf8')
    .split('\0')
    .find((a) => a.startsWith('--postgresql-url='));
  return arg ? Number(new URL(arg.slice('--postgresql-url='.length)).port || 5432) : undefined;
}

/**
 * PostgreSQL processes that serve this run, in the cluster our FerretDB (`ferretPid`) stores
 * in (the repository's own, deploy/local/postgres): the server's own (postmaster, writers,
 * autovacuum: no client port in their title) and the backends whose client port is a
 * connection of our FerretDB, so other clients' backends (the shared FerretDB, other test
 * runs) and other clusters on the machine are left out. Without `ferretPid` it is every
 * process of the repository's cluster, an upper bound; `scope` says which. `postmaster` is the
 * server's pid (the parent of every other one; see procstat.mjs's cpuMeter for its use).
 */
export function postgresPidsFor(ferretPid) {
  const port = ferretPid ? postgresPortOf(ferretPid) : localPostgres().port;
  if (port === undefined) return { pids: [], scope: 'no PostgreSQL (FerretDB on SQLite)' };
  const postmaster = postmasterOn(port);
  if (postmaster === undefined) return { pids: [], scope: `no PostgreSQL listens on port ${port}` };
  const cluster = postgresProcesses().filter((p) => p.pid === postmaster || p.ppid === postmaster);
  if (!ferretPid)
    return { pids: cluster.map((p) => p.pid), postmaster, scope: 'every process of the repository\u2019s PostgreSQL cluster' };
  const ours = tcpPortsOf(ferretPid);
  const pids = cluster
    .filter(({ title }) => {
      const client = /\((\d+)\)/.exec(title)?.[1];
      return client === undefined || ours.has(Number(client));
    })
    .map((p) => p.pid);
  return { pids, postmaster, scope: 'postgres server processes and our FerretDB\u2019s backends' };
}
