// Child process of the idle-socket memory figure: opens `count` socket.io-client connections to
// `url` (a few processes share the 3,000 so one client's CPU and fds do not become the limit),
// reports { connected, failed, error? } once done, and holds them until told to close.
// Usage (by fork): socket-clients.mjs <url> <count> [concurrency] [deadlineMs]
import { io } from 'socket.io-client';
import { newUserId, tokenFor } from '@chat/testkit';
import { pool } from './stats.mjs';

const [url, countArg, concurrencyArg = '25', deadlineArg = '120000'] = process.argv.slice(2);
const sockets = [];
let failed = 0;
let firstError;

/** One connection with its own user (so the gateway tracks 3,000 users, as in production). */
const connectOne = () =>
  new Promise((resolve) => {
    const socket = io(url, { auth: { token: tokenFor(newUserId()) }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000 });
    socket.once('connect', () => {
      sockets.push(socket);
      resolve();
    });
    socket.once('connect_error', (err) => {
      failed++;
      firstError ??= err.message;
      socket.close();
      resolve();
    });
  });

await pool(Number(countArg), Number(concurrencyArg), connectOne, { deadlineMs: Number(deadlineArg) });
process.send({ connected: sockets.length, failed, error: firstError });
process.on('message', (m) => {
  if (m !== 'close') return;
  for (const s of sockets) s.close();
  process.exit(0);
});
// The parent gone (crash, watchdog): do not linger with open sockets.
process.on('disconnect', () => process.exit(0));
