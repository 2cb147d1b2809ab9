// Container healthcheck: GET http://127.0.0.1:<port><path> (default /readyz); exit 0 when 2xx.
// The port is the service's PORT, or its default so the image's HEALTHCHECK needs no arguments;
// the edge's is its internal METRICS_PORT (default 9464): its public PORT serves no probes.
const defaultPorts = {
  'chat-api': 3001,
  'message-api': 3002,
  'media-service': 3003,
  'realtime-gateway': 3004,
};
const service = process.env.SERVICE ?? '';
const port = service === 'edge' ? process.env.METRICS_PORT || 9464 : process.env.PORT || defaultPorts[service];
const path = process.argv[2] ?? '/readyz';
if (!port) {
  console.error(`healthcheck: no PORT and unknown SERVICE '${service}'`);
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
