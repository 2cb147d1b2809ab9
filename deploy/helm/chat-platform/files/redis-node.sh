#!/bin/sh
# Starts one node of a Sentinel set with start.sh (beside this script): a replica of the primary
# the sentinels name now, or, when none answers (the set's first start), the primary itself if
# this node is REDIS_FIRST_PRIMARY, else its replica. The node announces itself as REDIS_SELF, the
# name the sentinels and the other node reach it by (a pod's stable DNS name), so a restarted node
# rejoins as what the sentinels say, never as a second primary.
#   REDIS_SENTINELS (host:port,...), REDIS_SENTINEL_NAME (chat-redis), REDIS_SENTINEL_PASSWORD,
#   REDIS_SELF (a host name), REDIS_FIRST_PRIMARY (host or host:port), REDIS_PORT (6379).
#   Further arguments go to start.sh.
# POSIX sh: it runs in redis:7-alpine.
set -eu
: "${REDIS_SELF:?set REDIS_SELF}"
: "${REDIS_FIRST_PRIMARY:?set REDIS_FIRST_PRIMARY}"
port=${REDIS_PORT:-6379}
# The primary as host and port: the sentinels' answer (two lines), or the first primary.
case $REDIS_FIRST_PRIMARY in
  *:*) primary="${REDIS_FIRST_PRIMARY%:*} ${REDIS_FIRST_PRIMARY##*:}" ;;
  *) primary="$REDIS_FIRST_PRIMARY $port" ;;
esac
for sentinel in $(echo "${REDIS_SENTINELS:-}" | tr ',' ' '); do
  answer=$(REDISCLI_AUTH=${REDIS_SENTINEL_PASSWORD:-} redis-cli -h "${sentinel%:*}" -p "${sentinel##*:}" \
    SENTINEL get-master-addr-by-name "${REDIS_SENTINEL_NAME:-chat-redis}" 2>/dev/null) || continue
  host=$(echo "$answer" | sed -n 1p)
  hostport=$(echo "$answer" | sed -n 2p)
  case $host$hostport in *' '* | '') continue ;; esac
  case $hostport in *[!0-9]*) continue ;; esac
  primary="$host $hostport"
  break
done
here=$(dirname "$0")
if [ "$primary" = "$REDIS_SELF $port" ]; then
  exec sh "$here/start.sh" --port "$port" --replica-announce-ip "$REDIS_SELF" "$@"
fi
echo "redis: starting as a replica of $primary" >&2
# shellcheck disable=SC2086 # host and port, two words
exec sh "$here/start.sh" --port "$port" --replica-announce-ip "$REDIS_SELF" --replicaof $primary "$@"
