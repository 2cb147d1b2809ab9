// Container healthcheck: GET http://127.0.0.1:$PORT<path> (default /readyz); exit 0 when 2xx.
// PORT falls back to the service's default port so the image's HEALTHCHECK needs no arguments.
const defaultPorts = {
  edge: 8080,
  'chat-api': 3001,
  'message-api': 3002,
  'media-service': 3003,
  'realtime-gateway': 3004,
};
const port = process.env.PORT || defaultPorts[process.env.SERVICE ?? ''];
const path = process.argv[2] ?? '/readyz';
if (!port) {
  console.error(`healthcheck: no PORT and unknown SERVICE '${process.env.SERVICE ?? ''}'`);
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
