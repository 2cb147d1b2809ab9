// Runs the two send loads of rows 1 and 2 against floor-server.mjs (see there), so the table
// shows how far the targets are from what any design could reach on this machine. The 8 × 4
// load also counts the CPU the floor used (row c1b's baseline): its own process and the
// store's processes (`storeGroups()`: FerretDB and the PostgreSQL processes serving it;
// `storeReapers()`: the PostgreSQL server, whose exited children count too, see procstat.mjs).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closePairs, measureSends, openPairs } from './messaging.mjs';
import { within } from './stats.mjs';

const FLOOR = fileURLToPath(new URL('./floor-server.mjs', import.meta.url));

export async function floorSends(chats, mongoUrl, { inFlight, seconds, storeGroups = () => ({}), storeReapers }) {
  const child = fork(FLOOR, [], { env: { ...process.env, MONGO_URL: mongoUrl }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await within(new Promise((resolve) => child.once('message', resolve)), 10_000, 'floor server');
    const pairs = await openPairs(chats, `http://127.0.0.1:${port}`);
    try {
      const one = await measureSends(pairs.slice(0, 1), { inFlight: 1, total: 5_000, seconds });
      const cpuGroups = () => ({ floor: [child.pid], ...storeGroups() });
      const many = await measureSends(pairs, { inFlight, total: 20_000, seconds, cpuGroups, cpuReapers: storeReapers });
      return { one, many };
    } finally {
      closePairs(pairs);
    }
  } finally {
    child.disconnect();
  }
}
