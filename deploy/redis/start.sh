#!/bin/sh
# Starts redis-server with the services' ACL users (users.acl beside this script, rendered from
# libs/contracts redis-acl.ts): each `>${REDIS_PASSWORD_<SERVICE>}` becomes the SHA-256 of that
# variable of this environment, so the file Redis reads holds no password. The `default` user is
# off: every client logs in as its service's user. Further arguments go to redis-server.
#   REDIS_ACL_TEMPLATE (default /etc/redis/users.acl), REDIS_ACL_FILE (default /tmp/redis/users.acl)
# A node of a Sentinel set (either may be the primary) also gets, when their passwords are set,
# `replication` (REDIS_PASSWORD_REPLICATION: the user a replica logs in to its primary as, which
# this node does too once demoted) and `sentinel` (REDIS_PASSWORD_SENTINEL: the sentinels' user),
# with the rules of redisFailoverAclRules (libs/contracts redis-acl.ts; a test checks they agree).
# Its settings go into node.conf beside the ACL, the file Sentinel's CONFIG REWRITE updates.
# POSIX sh and busybox tools only: it runs in redis:7-alpine (docker-compose.yml, the Helm chart).
set -eu
template=${REDIS_ACL_TEMPLATE:-/etc/redis/users.acl}
acl=${REDIS_ACL_FILE:-/tmp/redis/users.acl}
umask 077
mkdir -p "$(dirname "$acl")"
: >"$acl"
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    *'>${'*'}'*)
      var=${line#*'>${'}
      var=${var%%'}'*}
      case $var in *[!A-Z0-9_]* | '') echo "redis: bad placeholder in: $line" >&2 && exit 1 ;; esac
      eval "value=\${$var:-}"
      [ -n "$value" ] || { echo "redis: $var is not set" >&2 && exit 1; }
      hash=$(printf '%s' "$value" | sha256sum | cut -d' ' -f1)
      line="${line%%'>${'*}#$hash${line#*'}'}"
      ;;
  esac
  printf '%s\n' "$line" >>"$acl"
done <"$template"
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
conf=$(dirname "$acl")/node.conf
: >"$conf"
if [ -n "${REDIS_PASSWORD_REPLICATION:-}" ]; then
  echo "user replication on resetpass #$(sha256 "$REDIS_PASSWORD_REPLICATION") resetkeys resetchannels -@all +psync +replconf +ping" >>"$acl"
  printf 'masteruser replication\nmasterauth %s\n' "$REDIS_PASSWORD_REPLICATION" >>"$conf"
fi
if [ -n "${REDIS_PASSWORD_SENTINEL:-}" ]; then
  echo "user sentinel on resetpass #$(sha256 "$REDIS_PASSWORD_SENTINEL") resetkeys resetchannels &__sentinel__:hello -@all +multi +exec +slaveof +ping +info +role +subscribe +publish +config|rewrite +client|setname +client|kill +script|kill" >>"$acl"
fi
exec redis-server "$conf" --aclfile "$acl" "$@"
