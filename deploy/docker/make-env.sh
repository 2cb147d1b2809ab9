#!/usr/bin/env bash
# Prints a .env for docker compose with fresh random secrets: the JWT secret, each service's
# NATS, Redis and MongoDB password (its own user on each), MongoDB's root password and the key
# file its replica set members share. Usage: bash deploy/docker/make-env.sh > .env
# Hex only: the values go into URLs and Redis's users unescaped.
set -euo pipefail
secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
echo "JWT_SECRET=$(secret)"
for service in CHAT_API MESSAGE_API MEDIA_SERVICE REALTIME_GATEWAY; do
  echo "NATS_PASSWORD_${service}=$(secret)"
done
# Redis: the services that use it (libs/contracts redis-acl.ts).
for service in CHAT_API MESSAGE_API REALTIME_GATEWAY; do
  echo "REDIS_PASSWORD_${service}=$(secret)"
done
# Redis as a Sentinel set (profile `sentinel`): the nodes' replication and sentinel users, and
# the password the sentinels require of the services.
echo "REDIS_PASSWORD_REPLICATION=$(secret)"
echo "REDIS_PASSWORD_SENTINEL=$(secret)"
echo "REDIS_SENTINEL_PASSWORD=$(secret)"
# MongoDB: the services that own collections (libs/contracts mongo-roles.ts).
for service in CHAT_API MESSAGE_API MEDIA_SERVICE; do
  echo "MONGO_PASSWORD_${service}=$(secret)"
done
echo "MONGO_ROOT_PASSWORD=$(secret)"
echo "MONGO_REPLICA_KEY=$(secret)$(secret)"
