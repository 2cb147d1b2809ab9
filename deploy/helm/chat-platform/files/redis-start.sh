#!/bin/sh
# Starts redis-server with the services' ACL users (users.acl beside this script, rendered from
# libs/contracts redis-acl.ts): each `>${REDIS_PASSWORD_<SERVICE>}` becomes the SHA-256 of that
# variable of this environment, so the file Redis reads holds no password. The `default` user is
# off: every client logs in as its service's user. Further arguments go to redis-server.
#   REDIS_ACL_TEMPLATE (default /etc/redis/users.acl), REDIS_ACL_FILE (default /tmp/redis/users.acl)
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
exec redis-server --aclfile "$acl" "$@"
