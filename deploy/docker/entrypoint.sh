#!/bin/sh
# Starts the service named by $SERVICE: exec node /app/services/$SERVICE/dist/main.js (tracing preloaded)
# exec (no wrapper process left) so SIGTERM reaches node and the service drains cleanly.
set -eu
if [ -z "${SERVICE:-}" ]; then
  echo "chat-entry: set SERVICE to one of: $(ls /app/services | tr '\n' ' ')" >&2
  exit 64
fi
main="/app/services/${SERVICE}/dist/main.js"
if [ ! -f "$main" ]; then
  echo "chat-entry: unknown SERVICE '${SERVICE}' (no ${main}); known: $(ls /app/services | tr '\n' ' ')" >&2
  exit 64
fi
cd /app
# start-tracing loads OpenTelemetry only when OTEL_* variables ask for traces (docs/operations.md).
exec node --import @chat/platform/start-tracing "$main" "$@"
