#!/bin/sh
# Starts a Redis Sentinel that watches the primary REDIS_PRIMARY_HOST:REDIS_PRIMARY_PORT (a host
# name is fine: resolve-hostnames) under REDIS_SENTINEL_NAME, logging in to the nodes as their
# `sentinel` user (REDIS_PASSWORD_SENTINEL, start.sh) and requiring REDIS_SENTINEL_PASSWORD of
# its own clients, the services (and of the other sentinels). Sentinel rewrites its file with
# what it learns, so the file is written here, into a writable place, at every start.
#   REDIS_SENTINEL_PORT (26379), REDIS_SENTINEL_QUORUM (2), REDIS_SENTINEL_DOWN_AFTER_MS (5000),
#   REDIS_SENTINEL_FAILOVER_TIMEOUT_MS (30000), REDIS_SENTINEL_CONF (/tmp/sentinel/sentinel.conf),
#   REDIS_SENTINEL_ANNOUNCE_HOST (unset: its address): the name other sentinels reach it by;
#   REDIS_SENTINEL_PEERS (host:port,...): the other sentinels, asked first for the primary now,
#   so a sentinel restarted after a failover watches the promoted node, not REDIS_PRIMARY_HOST.
# Further arguments go to redis-server. POSIX sh: it runs in redis:7-alpine.
set -eu
: "${REDIS_PRIMARY_HOST:?set REDIS_PRIMARY_HOST}"
: "${REDIS_SENTINEL_PASSWORD:?set REDIS_SENTINEL_PASSWORD}"
: "${REDIS_PASSWORD_SENTINEL:?set REDIS_PASSWORD_SENTINEL}"
name=${REDIS_SENTINEL_NAME:-chat-redis}
primary="$REDIS_PRIMARY_HOST ${REDIS_PRIMARY_PORT:-6379}"
for peer in $(echo "${REDIS_SENTINEL_PEERS:-}" | tr ',' ' '); do
  # Two lines, the host and the port; anything else (no answer, an error) is no answer.
  answer=$(REDISCLI_AUTH=$REDIS_SENTINEL_PASSWORD redis-cli -h "${peer%:*}" -p "${peer##*:}" \
    SENTINEL get-master-addr-by-name "$name" 2>/dev/null) || continue
  host=$(echo "$answer" | sed -n 1p)
  port=$(echo "$answer" | sed -n 2p)
  case $host$port in *' '* | '') continue ;; esac
  case $port in *[!0-9]*) continue ;; esac
  primary="$host $port"
  break
done
echo "sentinel: watching $name at $primary" >&2
conf=${REDIS_SENTINEL_CONF:-/tmp/sentinel/sentinel.conf}
umask 077
mkdir -p "$(dirname "$conf")"
{
  echo "port ${REDIS_SENTINEL_PORT:-26379}"
  echo "requirepass $REDIS_SENTINEL_PASSWORD"
  echo "sentinel sentinel-pass $REDIS_SENTINEL_PASSWORD"
  echo "sentinel resolve-hostnames yes"
  if [ -n "${REDIS_SENTINEL_ANNOUNCE_HOST:-}" ]; then
    echo "sentinel announce-hostnames yes"
    echo "sentinel announce-ip $REDIS_SENTINEL_ANNOUNCE_HOST"
  fi
  echo "sentinel monitor $name $primary ${REDIS_SENTINEL_QUORUM:-2}"
  echo "sentinel auth-user $name sentinel"
  echo "sentinel auth-pass $name $REDIS_PASSWORD_SENTINEL"
  echo "sentinel down-after-milliseconds $name ${REDIS_SENTINEL_DOWN_AFTER_MS:-5000}"
  echo "sentinel failover-timeout $name ${REDIS_SENTINEL_FAILOVER_TIMEOUT_MS:-30000}"
  echo "sentinel parallel-syncs $name 1"
} >"$conf"
exec redis-server "$conf" --sentinel "$@"
