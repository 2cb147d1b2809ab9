// Memory per idle socket: RSS of one server process before and after `sockets` connections.
import { fork } from 'node:child_process';
import { stopProcess } from '@chat/testkit';
import { fileURLToPath } from 'node:url';
import { rssBytes } from './procstat.mjs';
import { sleep, within } from './stats.mjs';

const CLIENTS = fileURLToPath(new URL('./socket-clients.mjs', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-socketio.mjs', import.meta.url));
const CONNECT_DEADLINE_MS = 150_000;
// Lets timers the connections started (presence writes, handshakes' garbage) run their course.
const SETTLE_MS = 5_000;

/** A forked helper and its first IPC message. */
function forkWithReply(script, args, env) {
  const child = fork(script, args, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before answering`)));
  });
  return { child, reply };
}

const stop = (child) => stopProcess(child, 'SIGTERM', child.connected ? () => child.send('close') : undefined);

/**
 * Connects `sockets` clients to `url` from `clientProcesses` forked processes and returns the
 * RSS growth of `serverPid` per connected socket. The clients are closed before returning.
 */
export async function rssPerSocket(serverPid, url, { sockets, clientProcesses = 2, env = process.env }) {
  await sleep(SETTLE_MS);
  const before = rssBytes(serverPid);
  const share = Math.ceil(sockets / clientProcesses);
  const clients = Array.from({ length: clientProcesses }, (_, i) =>
    forkWithReply(CLIENTS, [url, String(Math.min(share, sockets - i * share)), '25', String(CONNECT_DEADLINE_MS)], env),
  );
  try {
    const replies = await within(Promise.all(clients.map((c) => c.reply)), CONNECT_DEADLINE_MS + 10_000, 'socket clients');
    const connected = replies.reduce((s, r) => s + r.connected, 0);
    const failed = replies.reduce((s, r) => s + r.failed, 0);
    await sleep(SETTLE_MS);
    const after = rssBytes(serverPid);
    return { sockets: connected, failed, firstError: replies.find((r) => r.error)?.error, rssBefore: before, rssAfter: after, perSocketBytes: connected ? (after - before) / connected : undefined };
  } finally {
    await Promise.all(clients.map((c) => stop(c.child)));
  }
}

/** The same figure for a bare Socket.IO server in its own process. */
export async function bareSocketIoRss(options) {
  const { child, reply } = forkWithReply(BARE, [], process.env);
  try {
    const { port } = await within(reply, 10_000, 'bare socket.io server');
    return await rssPerSocket(child.pid, `http://127.0.0.1:${port}`, options);
  } finally {
    child.kill('SIGTERM');
  }
}
