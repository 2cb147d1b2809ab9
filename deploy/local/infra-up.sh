#!/usr/bin/env bash
# Makes sure the local infrastructure answers, starting only what is missing:
#   Redis            at REDIS_URL (default redis://127.0.0.1:6379)
#   NATS + JetStream at NATS_URL  (default nats://127.0.0.1:4222)
#   MongoDB wire     at MONGO_URL (default mongodb://127.0.0.1:27017/chat): whatever already
#                    answers there (a real mongod, a running FerretDB), else FerretDB built by
#                    build-ferretdb.sh, on the repository's own PostgreSQL cluster, or on SQLite
#                    when PostgreSQL is not available (FERRETDB_HANDLER=sqlite forces SQLite).
#   PostgreSQL       the repository's cluster (docs/local-store.md): made by initdb in
#                    .local/postgres/, on 127.0.0.1 at the port of deploy/local/postgres/
#                    postgresql.conf, whose settings (and pg_hba.conf's) it runs with: copied in
#                    and reloaded, or the server restarted, when the files change. Started
#                    whenever FerretDB is built (tests start FerretDBs of their own on it).
#                    ferretdb-indexes.sql (GIN indexes for FerretDB's lookups, plan_cache_mode)
#                    is applied to its database ferretdb; a FerretDB this script started before
#                    that setting existed is restarted once to pick it up (FERRETDB_PG_INDEXES=off
#                    skips both). A FerretDB this script started on another PostgreSQL (the
#                    machine's cluster on 5432, as it once did) is moved to this one, without its
#                    data, at a run when no client is connected to it.
# Idempotent and silent when everything already runs; prints one line per thing it starts.
# Daemons it starts keep running after it exits (stop FerretDB with
# `kill $(cat .local/ferretdb.pid)`; for a MONGO_URL port other than 27017 the files are
# .local/ferretdb-<port>.pid/.log). Works from any directory, as root (PostgreSQL then runs as
# the postgres user) or not.
# shellcheck disable=SC2016 # the `bash -c '...'` probes expand $0/$1 in the inner shell
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/.local"
mkdir -p "$LOCAL"

REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
MONGO_URL="${MONGO_URL:-mongodb://127.0.0.1:27017/chat}"
FERRETDB_HANDLER="${FERRETDB_HANDLER:-auto}"
FERRETDB_PG_INDEXES="${FERRETDB_PG_INDEXES:-on}"

say() { echo "infra-up: $*"; }
die() {
  echo "infra-up: $*" >&2
  exit 1
}

# One infra-up at a time (two `npm test` runs must not both start a FerretDB). Started
# daemons get `9>&-` so they do not inherit, and keep holding, this lock.
exec 9>"$LOCAL/infra-up.lock"
if ! flock -w 900 9; then die "another infra-up.sh has held $LOCAL/infra-up.lock for 15 minutes"; fi

# Prints "host port" for the first host of scheme://[user:pass@]host[:port][,host2...][/path][?query].
url_host_port() {
  local rest=${1#*://} default_port=$2 hostport host port
  rest=${rest%%/*}
  rest=${rest%%\?*}
  rest=${rest##*@}
  hostport=${rest%%,*}
  if [[ $hostport == \[* ]]; then # [ipv6]:port
    host=${hostport#\[}
    host=${host%%]*}
    port=${hostport#*]}
  else
    host=${hostport%%:*}
    port=${hostport#"$host"}
  fi
  port=${port#:}
  echo "${host:-127.0.0.1} ${port:-$default_port}"
}

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 || $1 == 0.0.0.0 ]]; }

tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Waits up to $1 seconds for the command "$2..." to succeed.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Logs of daemons go to the system's usual place when we may write there, else to .local/.
writable_dir() { mkdir -p "$1" 2>/dev/null && [[ -w $1 ]]; }

# ---------------------------------------------------------------- Redis
# Any reply to PING counts: +PONG, or -NOAUTH from a Redis that wants a password.
redis_answers() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && IFS= read -r line <&3 &&
    [[ $line == +PONG* || $line == -NOAUTH* ]]' "$1" "$2" 2>/dev/null
}

ensure_redis() {
  local host port dir log
  read -r host port < <(url_host_port "$REDIS_URL" 6379)
  redis_answers "$host" "$port" && return 0
  is_local "$host" || die "Redis at $host:$port (REDIS_URL) does not answer; infra-up starts Redis only on this machine"
  command -v redis-server >/dev/null || die "Redis does not answer at $host:$port and redis-server is not installed (apt-get install redis-server)"
  if writable_dir /var/lib/redis && writable_dir /var/log/redis; then
    dir=/var/lib/redis log=/var/log/redis/ci.log
  else
    dir="$LOCAL/redis" log="$LOCAL/redis.log"
    mkdir -p "$dir"
  fi
  # No persistence: this Redis holds only presence and adapter traffic.
  if ! redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir "$dir" --logfile "$log" >"$LOCAL/redis-start.out" 2>&1 9>&-; then
    cat "$LOCAL/redis-start.out" >&2
    die "redis-server failed to start (log: $log)"
  fi
  wait_for 10 redis_answers "$host" "$port" || die "started redis-server, but it does not answer on $host:$port (log: $log)"
  say "started redis-server on 127.0.0.1:$port (log: $log)"
}

# ---------------------------------------------------------------- NATS
# Prints the INFO line a NATS server sends on connect.
nats_info() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && IFS= read -r line <&3 && echo "$line"' "$1" "$2" 2>/dev/null
}
nats_answers() { [[ $(nats_info "$1" "$2") == INFO* ]]; }

ensure_nats() {
  local host port info bin store log
  read -r host port < <(url_host_port "$NATS_URL" 4222)
  if info="$(nats_info "$host" "$port")" && [[ $info == INFO* ]]; then
    [[ $info == *'"jetstream":true'* ]] && return 0
    die "the NATS server at $host:$port runs without JetStream; restart it with -js (JetStream is required)"
  fi
  is_local "$host" || die "NATS at $host:$port (NATS_URL) does not answer; infra-up starts NATS only on this machine"
  bin="$(command -v nats-server || true)"
  [[ -n $bin ]] || { [[ -x /usr/sbin/nats-server ]] && bin=/usr/sbin/nats-server; }
  [[ -n $bin ]] || die "NATS does not answer at $host:$port and nats-server is not installed (apt-get install nats-server)"
  # Two servers must never share a JetStream store: the machine's usual one is for port 4222.
  if [[ $port == 4222 ]] && writable_dir /var/lib/nats-server && [[ -w /var/log ]]; then
    store=/var/lib/nats-server log=/var/log/nats-server.log
  else
    store="$LOCAL/nats-$port" log="$LOCAL/nats-server-$port.log"
    mkdir -p "$store"
  fi
  # Not `start-stop-daemon --start --exec nats-server`: it sees the nats-servers that tests
  # start on other ports as "already running" and then starts nothing.
  setsid nohup "$bin" -a 127.0.0.1 -p "$port" -js -sd "$store" -l "$log" -P "$LOCAL/nats-server.pid" \
    </dev/null >>"$LOCAL/nats-start.out" 2>&1 9>&- &
  wait_for 10 nats_answers "$host" "$port" || {
    tail -n 20 "$log" "$LOCAL/nats-start.out" >&2 2>/dev/null || true
    die "started nats-server, but it does not answer on $host:$port (log: $log)"
  }
  say "started nats-server with JetStream on 127.0.0.1:$port (store: $store, log: $log)"
}

# ---------------------------------------------------------------- the repository's PostgreSQL
# FerretDB stores its data in a PostgreSQL cluster of this checkout's own (docs/local-store.md),
# never in the machine's: made by initdb in .local/postgres/data, listening on 127.0.0.1 at the
# port of deploy/local/postgres/postgresql.conf, and configured by that file and pg_hba.conf
# beside it, which are copied into the data directory (the server reads them there, so it
# needs no access to the checkout) whenever they differ from the copies.
PG_CONF="$ROOT/deploy/local/postgres/postgresql.conf"
PG_HBA="$ROOT/deploy/local/postgres/pg_hba.conf"
PG_PORT="$(sed -n 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$PG_CONF" | tail -n 1)"
[[ -n $PG_PORT ]] || die "deploy/local/postgres/postgresql.conf has no 'port = <number>' line"
FERRETDB_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/ferretdb"
PG_BASE=""   # the cluster's directory (pg_locate): data/ and postgresql.log
PG_BIN=""    # the server binaries (initdb, pg_ctl, postgres) of its version
PG_REASON="" # why ensure_pg_cluster failed

# Runs "$@" as the cluster's owner: the postgres OS user when we are root (initdb and postgres
# refuse to run as root), else ourselves; from /, which that user can always enter.
as_pg() {
  if ((EUID == 0)); then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

# install(1) options that give a file or directory to the cluster's owner.
PG_OWNER=()
((EUID != 0)) || PG_OWNER=(-o postgres -g postgres)

# Sets PG_BASE: .local/postgres, or, when the postgres user cannot reach .local (a checkout
# under a 0700 directory such as `mktemp -d` makes), a directory in that user's home named after
# this checkout's path, linked from .local/postgres.
pg_locate() {
  local link="$LOCAL/postgres" home
  if [[ -L $link ]]; then
    PG_BASE="$(readlink -f "$link")"
  elif ((EUID != 0)) || as_pg test -x "$LOCAL" 2>/dev/null; then
    PG_BASE="$link"
  else
    home="$(getent passwd postgres | cut -d: -f6)"
    if [[ -z $home ]] || ! as_pg test -x "$home" 2>/dev/null; then
      PG_REASON="the postgres user can reach neither $LOCAL nor a home directory of its own"
      return 1
    fi
    PG_BASE="$home/chat-platform/$(basename "$ROOT")-$(printf %s "$ROOT" | md5sum | cut -c1-8)"
    if [[ ! -e $link ]]; then
      ln -s "$PG_BASE" "$link"
      say "the postgres user cannot reach $LOCAL: the PostgreSQL cluster lives in $PG_BASE (linked from .local/postgres)"
    else
      say "the postgres user cannot reach $link: using $PG_BASE instead"
    fi
  fi
  install -d -m 0700 "${PG_OWNER[@]}" "$PG_BASE"
}

# Sets PG_BIN to the binaries of PostgreSQL major version $1, or else of the newest installed.
pg_find_bin() {
  local dir
  if [[ -n ${1:-} ]]; then
    dir=/usr/lib/postgresql/$1/bin
  else
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)"
  fi
  if [[ ! -x ${dir:-/none}/postgres ]] && command -v initdb >/dev/null; then # not Debian's layout
    dir="$(dirname "$(command -v initdb)")"
    [[ -z ${1:-} || $("$dir/postgres" --version) =~ \ $1(\.|$) ]] || return 1
  fi
  [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres && -x $dir/pg_isready ]] || return 1
  PG_BIN=$dir
}

PSQL="$(command -v psql || true)"

# psql to database $1 of the repository's cluster.
pg_sql() {
  local db=$1
  shift
  PGOPTIONS="-c client_min_messages=warning" "${PSQL:-$PG_BIN/psql}" "postgres://postgres@127.0.0.1:$PG_PORT/$db" \
    -X -q -w -tA -v ON_ERROR_STOP=1 "$@"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

# Line $2 of the data directory's postmaster.pid (4: port, 8: status), if it has one.
pg_pidfile_line() { sed -n "${2}p" "$1/postmaster.pid" 2>/dev/null; }

pg_init() {
  local data=$1 out
  if ! out="$(as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 2>&1)"; then
    PG_REASON="initdb -D $data failed: $(tail -n 5 <<<"$out")"
    return 1
  fi
  say "created the repository's PostgreSQL cluster (PostgreSQL $(<"$data/PG_VERSION")) in $data"
}

# Copies deploy/local/postgres/{postgresql,pg_hba}.conf into the data directory where they
# differ, after `postgres -C` has read the new postgresql.conf without an error.
# Returns 0 when it copied something, 1 when both were current, 2 (PG_REASON) when the new
# postgresql.conf is invalid (the old copy stays).
pg_copy_conf() {
  local data=$1 src dst staged out copied=1
  for src in "$PG_CONF" "$PG_HBA"; do
    dst="$data/$(basename "$src")"
    cmp -s "$src" "$dst" && continue
    staged="$data/.$(basename "$src").new"
    install -m 0600 "${PG_OWNER[@]}" "$src" "$staged"
    if [[ $src == "$PG_CONF" ]] &&
      ! out="$(as_pg "$PG_BIN/postgres" -D "$data" -c config_file="$staged" -C port 2>&1)"; then
      rm -f "$staged"
      PG_REASON="deploy/local/postgres/postgresql.conf is not valid for PostgreSQL $(<"$data/PG_VERSION"): $(
        sed -E 's/^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] //' <<<"$out" | grep -v '^FATAL' | paste -sd ' ')"
      return 2
    fi
    mv -f "$staged" "$dst"
    copied=0
  done
  return $copied
}

pg_start() {
  local data=$1 log=$PG_BASE/postgresql.log out
  # The log only grows (find-scans.mjs sessions log every statement): a new one past 64 MB.
  if (($(stat -c %s "$log" 2>/dev/null || echo 0) > 64 << 20)); then mv -f "$log" "$log.old"; fi
  # setsid: the server outlives this script and a Ctrl-C of the terminal that ran it.
  if ! out="$(as_pg setsid -w "$PG_BIN/pg_ctl" start -D "$data" -l "$log" -w -t 60 -s 2>&1 9>&-)"; then
    PG_REASON="pg_ctl start -D $data failed: $out $(tail -n 5 "$log" 2>/dev/null)"
    return 1
  fi
}

pg_stop() {
  local out
  out="$(as_pg "$PG_BIN/pg_ctl" stop -D "$1" -m fast -w -t 60 -s 2>&1)" || {
    PG_REASON="pg_ctl stop -D $1 failed: $out"
    return 1
  }
}

# The server runs and its configuration files were just replaced: reload, or restart it when a
# changed setting takes effect only at server start (PostgreSQL marks those in pg_file_settings).
pg_apply_changes() {
  local data=$1 pending hba_errors
  pending="$(pg_sql postgres -c "SELECT string_agg(DISTINCT name, ', ') FROM pg_file_settings
                                 WHERE error = 'setting could not be applied'")" || return 0
  hba_errors="$(pg_sql postgres -c "SELECT string_agg(line_number || ': ' || error, '; ') FROM pg_hba_file_rules
                                    WHERE error IS NOT NULL")" || true
  if [[ -n $hba_errors ]]; then
    echo "infra-up: warning: deploy/local/postgres/pg_hba.conf has errors ($hba_errors); PostgreSQL keeps the old rules" >&2
  fi
  if [[ -n $pending ]]; then
    say "restarting the repository's PostgreSQL for the changed settings $pending (deploy/local/postgres/postgresql.conf); FerretDB reconnects"
    pg_stop "$data" && pg_start "$data"
    return
  fi
  pg_sql postgres -c 'SELECT pg_reload_conf()' >/dev/null
  say "reloaded the repository's PostgreSQL: deploy/local/postgres/postgresql.conf or pg_hba.conf changed"
}

# Makes sure the repository's cluster exists, runs with the repository's settings and has the
# database ferretdb. Silent when nothing had to change. Returns 1 with PG_REASON when it cannot.
ensure_pg_cluster() {
  local data version conf=0 state other
  PG_REASON=""
  if ((EUID == 0)) && ! id -u postgres >/dev/null 2>&1; then
    PG_REASON="there is no postgres OS user to run PostgreSQL as (apt-get install postgresql)"
    return 1
  fi
  pg_locate || return 1
  data="$PG_BASE/data"
  if [[ -f $data/PG_VERSION ]]; then
    version="$(<"$data/PG_VERSION")"
    pg_find_bin "$version" || {
      PG_REASON="$data was made by PostgreSQL $version, whose server binaries are not installed (reset it: docs/local-store.md)"
      return 1
    }
  else
    pg_find_bin || {
      PG_REASON="PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed (apt-get install postgresql)"
      return 1
    }
    pg_init "$data" || return 1
  fi
  pg_copy_conf "$data" || conf=$? # 0: copied, 1: current, 2: invalid
  if ((conf == 2)); then
    # An invalid file: a running server keeps its settings; a stopped one cannot start with it.
    [[ -f $data/postmaster.pid ]] || return 1
    echo "infra-up: warning: $PG_REASON; the running PostgreSQL keeps its old settings" >&2
  fi

  if as_pg "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1; then
    state="$(pg_pidfile_line "$data" 8 | tr -d ' ')"
    if [[ $(pg_pidfile_line "$data" 4) != "$PG_PORT" ]]; then
      say "restarting the repository's PostgreSQL: its port is now $PG_PORT (deploy/local/postgres/postgresql.conf)"
      pg_stop "$data" && pg_start "$data" || return 1
    elif [[ $state != ready ]] && ! wait_for 30 pg_ready; then
      PG_REASON="the repository's PostgreSQL ($data) runs but does not accept connections on 127.0.0.1:$PG_PORT (log: $PG_BASE/postgresql.log)"
      return 1
    elif ((conf == 0)); then
      pg_apply_changes "$data" || return 1
    fi
  else
    if pg_ready; then
      # Not ours: another checkout's cluster (same port in the same file) is used as it is.
      other="$(pg_sql postgres -c "SELECT current_setting('cluster_name') || ' ' || current_setting('data_directory')" 2>/dev/null)" || true
      if [[ $other != chat-platform\ * ]]; then
        PG_REASON="something else answers on 127.0.0.1:$PG_PORT ($other); change port in deploy/local/postgres/postgresql.conf"
        return 1
      fi
      echo "infra-up: note: using the PostgreSQL another checkout started on 127.0.0.1:$PG_PORT (data: ${other#* }); its settings are that checkout's" >&2
    else
      pg_start "$data" || return 1
      say "started the repository's PostgreSQL on 127.0.0.1:$PG_PORT (data: $data, log: $PG_BASE/postgresql.log)"
    fi
  fi
  pg_ensure_database
}

# Creates the database ferretdb when missing; warns about ALTER SYSTEM values that override
# settings of the repository's file (postgresql.auto.conf is read after it).
pg_ensure_database() {
  local state exists overrides out
  if ! state="$(pg_sql postgres -F '|' -c "
      SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ferretdb'),
             coalesce((SELECT string_agg(a.name || ' = ' || a.setting, ', ')
                       FROM pg_file_settings a
                       WHERE a.sourcefile LIKE '%/postgresql.auto.conf' AND a.applied
                         AND EXISTS (SELECT 1 FROM pg_file_settings r
                                     WHERE r.name = a.name AND r.sourcefile LIKE '%/postgresql.conf')), '')" 2>&1)"; then
    PG_REASON="psql to 127.0.0.1:$PG_PORT failed: $state"
    return 1
  fi
  IFS='|' read -r exists overrides <<<"$state"
  [[ -z $overrides ]] ||
    echo "infra-up: warning: ALTER SYSTEM overrides deploy/local/postgres/postgresql.conf in the repository's PostgreSQL: $overrides (undo: ALTER SYSTEM RESET <name>; SELECT pg_reload_conf())" >&2
  [[ $exists == t ]] && return 0
  out="$(pg_sql postgres -c 'CREATE DATABASE ferretdb' 2>&1)" || [[ $out == *"already exists"* ]] || {
    PG_REASON="create database ferretdb failed: $out"
    return 1
  }
}

# ---------------------------------------------------------------- MongoDB wire
# A real MongoDB `ping` through the installed driver (mongoose depends on mongodb).
# Exit 0: answered; 1: did not (reason on stderr); 3: the driver is not installed yet.
mongo_ping() {
  (cd "$ROOT" && node --input-type=module -e '
    let mongodb;
    try { mongodb = await import("mongodb"); } catch { process.exit(3); }
    const client = new mongodb.MongoClient(process.argv[1], { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
    try { await client.db("admin").command({ ping: 1 }); }
    catch (err) { console.error(err.message); process.exitCode = 1; }
    finally { await client.close().catch(() => {}); }
  ' "$MONGO_URL")
}

# True when the server at host:port answers a ping (or, before `npm ci`, accepts connections).
mongo_answers() {
  tcp_open "$1" "$2" || return 1
  local rc=0
  mongo_ping 2>/dev/null || rc=$?
  ((rc == 0 || rc == 3))
}

# kill -0 is not enough: a child that died is a zombie until this script exits.
running() {
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" && [[ -n $state && $state != Z ]]
}
not_running() { ! running "$1"; }

# The files of the FerretDB this script starts for port $1: .local/ferretdb.{pid,log},
# .local/ferretdb-state and .local/ferretdb-sqlite for 27017, .local/ferretdb-<port>.{pid,log},
# ferretdb-state-<port> and ferretdb-sqlite-<port> for any other port, so that a second one
# never takes over the first one's pid file or data.
ferretdb_files() {
  local name=ferretdb
  [[ $1 == 27017 ]] || name=ferretdb-$1
  FERRETDB_PID_FILE="$LOCAL/$name.pid"
  FERRETDB_LOG=".local/$name.log"
  FERRETDB_STATE="$LOCAL/${name/ferretdb/ferretdb-state}"
  FERRETDB_SQLITE="${name/ferretdb/ferretdb-sqlite}"
}

# The command line of the FerretDB of the pid file (arguments separated by spaces, one after
# the last), or nothing when it does not run.
ferretdb_cmdline() {
  local pid cmdline
  [[ -f $FERRETDB_PID_FILE ]] && pid="$(<"$FERRETDB_PID_FILE")" && [[ -n $pid ]] || return 0
  cmdline="$( (tr '\0' ' ' <"/proc/$pid/cmdline") 2>/dev/null)" || return 0
  [[ $cmdline != *ferretdb* ]] || echo "$cmdline"
}

ferretdb_pid_alive() { [[ -n $(ferretdb_cmdline) ]]; }

# ---------------------------------------------------------------- FerretDB on PostgreSQL
FERRETDB_INDEXES_SQL="$ROOT/deploy/local/ferretdb-indexes.sql"
# Touched when plan_cache_mode was set: a FerretDB started before it still has connections
# without it (the setting reaches new connections only).
FERRETDB_SETTINGS_STAMP="$LOCAL/ferretdb-pg-settings.stamp"

ferretdb_psql() {
  PGOPTIONS="-c client_min_messages=warning -c lock_timeout=5s" \
    "${PSQL:-$PG_BIN/psql}" "$FERRETDB_PG_URL" -X -q -w -tA -v ON_ERROR_STOP=1 "$@"
}

# Makes sure deploy/local/ferretdb-indexes.sql is in place in FerretDB's PostgreSQL database:
# applies it when its event trigger is missing or older than the file, or plan_cache_mode is
# not set; else only backfills GIN indexes that are missing (none, normally). Silent when it
# changes nothing; on failure prints a warning and returns 1 (FerretDB works without it, slower).
ensure_ferretdb_pg_indexes() {
  local version state trigger_ok setting_ok created
  [[ $FERRETDB_PG_INDEXES != off ]] || return 1
  version="$(md5sum "$FERRETDB_INDEXES_SQL" | cut -c1-32)"
  if ! state="$(ferretdb_psql -F ' ' -v version="$version" 2>&1 <<'SQL'
SELECT coalesce((SELECT evtenabled = 'O' AND obj_description(oid, 'pg_event_trigger') = :'version'
                 FROM pg_event_trigger WHERE evtname = 'ferretdb_gin_indexes'), false),
       EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
               WHERE d.datname = current_database() AND s.setrole = 0
                 AND 'plan_cache_mode=force_custom_plan' = ANY (s.setconfig));
SQL
  )"; then
    echo "infra-up: warning: cannot check ferretdb-indexes.sql in $FERRETDB_PG_URL: $state" >&2
    return 1
  fi
  read -r trigger_ok setting_ok <<<"$state"
  if [[ $trigger_ok == t && $setting_ok == t ]]; then
    created="$(ferretdb_psql -c 'CALL public.ferretdb_gin_backfill()')" || {
      echo "infra-up: warning: the GIN index backfill of ferretdb-indexes.sql failed" >&2
      return 1
    }
    ((${created:-0} == 0)) || say "added $created missing GIN indexes for FerretDB (ferretdb-indexes.sql)"
    return 0
  fi
  if ! created="$(ferretdb_psql -v ferretdb_indexes_version="$version" -f "$FERRETDB_INDEXES_SQL")"; then
    echo "infra-up: warning: applying deploy/local/ferretdb-indexes.sql to $FERRETDB_PG_URL failed; FerretDB lookups scan tables" >&2
    return 1
  fi
  [[ $setting_ok == t && -f $FERRETDB_SETTINGS_STAMP ]] || touch "$FERRETDB_SETTINGS_STAMP"
  say "applied ferretdb-indexes.sql to database ferretdb of the repository's PostgreSQL (GIN index trigger, plan_cache_mode; ${created:-0} GIN indexes added)"
}

# True when the FerretDB of the pid file started before plan_cache_mode was set.
ferretdb_predates_settings() {
  local pid ran age
  [[ -f $FERRETDB_SETTINGS_STAMP ]] || return 1
  pid="$(<"$FERRETDB_PID_FILE")"
  ran="$(ps -o etimes= -p "$pid" 2>/dev/null)" || return 1
  age=$(($(date +%s) - $(stat -c %Y "$FERRETDB_SETTINGS_STAMP")))
  ((ran > age))
}

# Tests (the fault tests, libs/testkit/test/local-store.test.ts) and the bench start FerretDBs
# of their own on the repository's cluster (libs/testkit/src/ferretdb.ts), so it runs whenever
# the FerretDB binary is built, even when something else serves MONGO_URL.
ensure_pg_for_own_ferretdbs() {
  [[ $FERRETDB_HANDLER != sqlite && -x $LOCAL/bin/ferretdb ]] || return 0
  if ensure_pg_cluster; then
    ensure_ferretdb_pg_indexes || true
  else
    echo "infra-up: warning: $PG_REASON; tests that start a FerretDB of their own will fail" >&2
  fi
}

# How many clients are connected to the local TCP port $1 (established connections).
tcp_clients() {
  local hex
  hex="$(printf '%04X' "$1")"
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v port=":$hex" 'substr($2, length($2) - 4) == port && $4 == "01"' | wc -l
}

stop_ferretdb() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for 15 not_running "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 5 not_running "$pid" || die "FerretDB (pid $pid) does not stop"
  fi
}

ensure_mongo() {
  local host port listen pid cmdline old_url backend rc=0 err clients
  read -r host port < <(url_host_port "$MONGO_URL" 27017)
  [[ $host == ::1 ]] && listen="[::1]:$port" || listen="127.0.0.1:$port"
  ferretdb_files "$port"
  if tcp_open "$host" "$port"; then
    err="$(mongo_ping 2>&1)" || rc=$?
    ((rc == 0 || rc == 3)) || die "something listens on $host:$port (MONGO_URL) but does not answer a MongoDB ping: $err"
    cmdline="$(ferretdb_cmdline)"
    if [[ $cmdline != *"--listen-addr=$listen "* || $cmdline != *"--handler=postgresql "* ]]; then
      # A real mongod, a FerretDB someone else started, or ours on SQLite: left alone. Tests
      # still start FerretDBs of their own (the fault suite), so the binary is built anyway.
      if command -v go >/dev/null; then
        bash "$ROOT/deploy/local/build-ferretdb.sh" 9>&- ||
          echo "infra-up: warning: could not build FerretDB; tests that start a FerretDB of their own will fail" >&2
      fi
      ensure_pg_for_own_ferretdbs
      return 0
    fi
    pid="$(<"$FERRETDB_PID_FILE")"
    if [[ $cmdline == *"--postgresql-url=$FERRETDB_PG_URL "* ]]; then
      if ! ensure_pg_cluster; then
        echo "infra-up: warning: $PG_REASON" >&2
        return 0
      fi
      ensure_ferretdb_pg_indexes || return 0
      ferretdb_predates_settings || return 0
      say "restarting FerretDB (pid $pid) so that its PostgreSQL connections get plan_cache_mode=force_custom_plan"
    else
      # Ours, but on another PostgreSQL: the machine's cluster (5432), from before the
      # repository had its own. Moved when no client would notice; its data stays behind.
      old_url="${cmdline#*--postgresql-url=}"
      old_url="${old_url%% *}"
      clients="$(tcp_clients "$port")"
      if ((clients > 0)); then
        say "FerretDB (pid $pid) on $listen still stores in $old_url; it moves to the repository's PostgreSQL at a run with no client connected ($clients now), or now: kill $pid && npm run infra"
        ensure_pg_for_own_ferretdbs
        return 0
      fi
      if ! ensure_pg_cluster; then
        echo "infra-up: warning: FerretDB (pid $pid) stays on $old_url: $PG_REASON" >&2
        return 0
      fi
      say "moving FerretDB (pid $pid) on $listen from $old_url to the repository's PostgreSQL ($FERRETDB_PG_URL); the old database's data is not copied"
    fi
    stop_ferretdb "$pid"
    # on to starting it again
  fi
  is_local "$host" || die "MongoDB at $host:$port (MONGO_URL) does not answer; infra-up starts FerretDB only on this machine"

  # A FerretDB this script started earlier may still be starting up.
  if ferretdb_pid_alive && wait_for 15 mongo_answers "$host" "$port"; then return 0; fi

  bash "$ROOT/deploy/local/build-ferretdb.sh" 9>&- || die "could not build FerretDB (see the go error above)"

  local args=(--listen-addr="$listen" --debug-addr=- --telemetry=disable
    --state-dir="$FERRETDB_STATE" --log-level=error)
  if [[ $FERRETDB_HANDLER != sqlite ]] && ensure_pg_cluster; then
    ensure_ferretdb_pg_indexes || true
    args+=(--handler=postgresql --postgresql-url="$FERRETDB_PG_URL")
    backend="the repository's PostgreSQL (127.0.0.1:$PG_PORT, database ferretdb)"
  else
    [[ $FERRETDB_HANDLER == sqlite ]] || say "PostgreSQL is not available (${PG_REASON:-?}); FerretDB uses SQLite instead"
    mkdir -p "$LOCAL/$FERRETDB_SQLITE"
    args+=(--handler=sqlite --sqlite-url="file:$LOCAL/$FERRETDB_SQLITE/")
    backend="SQLite in .local/$FERRETDB_SQLITE"
  fi
  mkdir -p "$FERRETDB_STATE"
  echo "--- $(date -Is) starting FerretDB ${args[*]}" >>"$ROOT/$FERRETDB_LOG"
  setsid nohup "$LOCAL/bin/ferretdb" "${args[@]}" </dev/null >>"$ROOT/$FERRETDB_LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$FERRETDB_PID_FILE"

  local deadline=$((SECONDS + 30))
  until mongo_answers "$host" "$port"; do
    if ! running "$pid"; then
      tail -n 30 "$ROOT/$FERRETDB_LOG" >&2
      die "FerretDB exited during start-up (log: $FERRETDB_LOG)"
    fi
    ((SECONDS < deadline)) || die "FerretDB (pid $pid) does not answer on $listen after 30 s (log: $FERRETDB_LOG)"
    sleep 0.3
  done
  say "started FerretDB (pid $pid) on $listen backed by $backend (log: $FERRETDB_LOG; stop: kill \$(cat ${FERRETDB_PID_FILE#"$ROOT/"}))"
}

ensure_redis
ensure_nats
ensure_mongo
