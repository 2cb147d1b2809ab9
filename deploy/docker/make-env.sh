#!/usr/bin/env bash
# Prints a .env for docker compose with fresh random secrets: the JWT secret, Redis's password
# and one NATS password per service. Usage: bash deploy/docker/make-env.sh > .env
set -euo pipefail
secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
echo "JWT_SECRET=$(secret)"
echo "REDIS_PASSWORD=$(secret)"
for service in CHAT_API MESSAGE_API MEDIA_SERVICE REALTIME_GATEWAY; do
  echo "NATS_PASSWORD_${service}=$(secret)"
done
