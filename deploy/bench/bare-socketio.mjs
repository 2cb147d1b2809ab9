// The baseline of the idle-socket memory figure: a plain Socket.IO server (the same package and
// version the gateway runs, default options, no adapter, no auth), alone in its own process.
// Usage (by fork): bare-socketio.mjs  -> sends { port } once listening.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

// Resolve socket.io the way the gateway does, so both run the same version.
const require = createRequire(new URL('../../services/realtime-gateway/package.json', import.meta.url));
const { Server } = require('socket.io');

const http = createServer();
new Server(http);
http.listen(0, '127.0.0.1', () => process.send({ port: http.address().port }));
process.on('disconnect', () => process.exit(0));
