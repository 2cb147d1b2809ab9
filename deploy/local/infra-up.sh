#!/usr/bin/env bash
# Makes sure the local infrastructure answers, starting only what is missing:
#   Redis            at REDIS_URL (default redis://127.0.0.1:6379)
#   NATS + JetStream at NATS_URL  (default nats://127.0.0.1:4222)
#   MongoDB wire     at MONGO_URL (default mongodb://127.0.0.1:27017/chat): whatever already
#                    answers there (a real mongod, a running FerretDB), else FerretDB built by
#                    build-ferretdb.sh, on the local PostgreSQL, or on SQLite when PostgreSQL
#                    is not available (FERRETDB_HANDLER=sqlite forces SQLite). With
#                    PostgreSQL, ferretdb-indexes.sql (GIN indexes for FerretDB's lookups,
#                    plan_cache_mode) is applied to its database first; a FerretDB this script
#                    started before that setting existed is restarted once to pick it up
#                    (FERRETDB_PG_INDEXES=off skips both).
# Idempotent and silent when everything already runs; prints one line per thing it starts.
# Daemons it starts keep running after it exits (stop FerretDB with
# `kill $(cat .local/ferretdb.pid)`). Works from any directory.
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

pg_answers() {
  if command -v pg_isready >/dev/null; then pg_isready -q -h 127.0.0.1 -p 5432; else tcp_open 127.0.0.1 5432; fi
}

# Echoes the reason and returns 1 when PostgreSQL cannot back FerretDB here.
ensure_postgres() {
  local cluster out
  command -v psql >/dev/null || { echo "psql is not installed (apt-get install postgresql-client)"; return 1; }
  if ! pg_answers; then
    command -v pg_lsclusters >/dev/null || { echo "no PostgreSQL answers on 127.0.0.1:5432 and none is installed here"; return 1; }
    cluster="$(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 { print $1, $2; exit }')"
    [[ -n $cluster ]] || { echo "no PostgreSQL cluster on port 5432 (pg_lsclusters)"; return 1; }
    # shellcheck disable=SC2086 # "<version> <name>" are two arguments
    if ! out="$(pg_ctlcluster --skip-systemctl-redirect $cluster start 2>&1 9>&-)"; then
      echo "pg_ctlcluster $cluster start failed: $out"
      return 1
    fi
    wait_for 20 pg_answers || { echo "started PostgreSQL $cluster, but it does not answer on 127.0.0.1:5432"; return 1; }
    say "started PostgreSQL $cluster on 127.0.0.1:5432"
  fi
  out="$(psql -h 127.0.0.1 -U postgres -d postgres -w -tAc "select 1 from pg_database where datname = 'ferretdb'" 2>&1)" ||
    { echo "psql -U postgres failed: $out"; return 1; }
  if [[ $out != 1 ]]; then
    out="$(psql -h 127.0.0.1 -U postgres -d postgres -w -c "create database ferretdb" 2>&1)" ||
      [[ $out == *"already exists"* ]] || { echo "create database ferretdb failed: $out"; return 1; }
  fi
}

# kill -0 is not enough: a child that died is a zombie until this script exits.
running() {
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" && [[ -n $state && $state != Z ]]
}

ferretdb_pid_alive() {
  local pid
  [[ -f $LOCAL/ferretdb.pid ]] && pid="$(<"$LOCAL/ferretdb.pid")" && [[ -n $pid ]] &&
    [[ "$( (tr '\0' ' ' <"/proc/$pid/cmdline") 2>/dev/null)" == *ferretdb* ]]
}

# ---------------------------------------------------------------- FerretDB on PostgreSQL
FERRETDB_PG_URL=postgres://postgres@127.0.0.1:5432/ferretdb
FERRETDB_INDEXES_SQL="$ROOT/deploy/local/ferretdb-indexes.sql"
# Touched when plan_cache_mode was set: a FerretDB started before it still has connections
# without it (the setting reaches new connections only).
FERRETDB_SETTINGS_STAMP="$LOCAL/ferretdb-pg-settings.stamp"

ferretdb_psql() {
  PGOPTIONS="-c client_min_messages=warning -c lock_timeout=5s" \
    psql "$FERRETDB_PG_URL" -X -q -w -tA -v ON_ERROR_STOP=1 "$@"
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
  say "applied ferretdb-indexes.sql to PostgreSQL database ferretdb (GIN index trigger, plan_cache_mode; ${created:-0} GIN indexes added)"
}

# True when the FerretDB of the pid file runs on our PostgreSQL database and listens on $1.
ferretdb_ours_on_pg() {
  local cmdline
  ferretdb_pid_alive || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$(<"$LOCAL/ferretdb.pid")/cmdline" 2>/dev/null)" || return 1
  [[ $cmdline == *"--handler=postgresql "* && $cmdline == *"--postgresql-url=$FERRETDB_PG_URL "* &&
    $cmdline == *"--listen-addr=$1 "* ]]
}

# True when the FerretDB of the pid file started before plan_cache_mode was set.
ferretdb_predates_settings() {
  local pid ran age
  [[ -f $FERRETDB_SETTINGS_STAMP ]] || return 1
  pid="$(<"$LOCAL/ferretdb.pid")"
  ran="$(ps -o etimes= -p "$pid" 2>/dev/null)" || return 1
  age=$(($(date +%s) - $(stat -c %Y "$FERRETDB_SETTINGS_STAMP")))
  ((ran > age))
}

not_running() { ! running "$1"; }

ensure_mongo() {
  local host port listen pid reason backend rc=0 err
  read -r host port < <(url_host_port "$MONGO_URL" 27017)
  [[ $host == ::1 ]] && listen="[::1]:$port" || listen="127.0.0.1:$port"
  if tcp_open "$host" "$port"; then
    err="$(mongo_ping 2>&1)" || rc=$?
    ((rc == 0 || rc == 3)) || die "something listens on $host:$port (MONGO_URL) but does not answer a MongoDB ping: $err"
    # A real mongod or a FerretDB someone else started: left alone.
    ferretdb_ours_on_pg "$listen" || return 0
    ensure_ferretdb_pg_indexes || return 0
    ferretdb_predates_settings || return 0
    pid="$(<"$LOCAL/ferretdb.pid")"
    say "restarting FerretDB (pid $pid) so that its PostgreSQL connections get plan_cache_mode=force_custom_plan"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for 15 not_running "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_for 5 not_running "$pid" || die "FerretDB (pid $pid) does not stop"
    fi
    # on to starting it again
  fi
  is_local "$host" || die "MongoDB at $host:$port (MONGO_URL) does not answer; infra-up starts FerretDB only on this machine"

  # A FerretDB this script started earlier may still be starting up.
  if ferretdb_pid_alive && wait_for 15 mongo_answers "$host" "$port"; then return 0; fi

  bash "$ROOT/deploy/local/build-ferretdb.sh" 9>&- || die "could not build FerretDB (see the go error above)"

  local args=(--listen-addr="$listen" --debug-addr=- --telemetry=disable
    --state-dir="$LOCAL/ferretdb-state" --log-level=error)
  if [[ $FERRETDB_HANDLER != sqlite ]] && reason="$(ensure_postgres)"; then
    [[ -n $reason ]] && echo "$reason" # the "started PostgreSQL" line
    ensure_ferretdb_pg_indexes || true
    args+=(--handler=postgresql --postgresql-url="$FERRETDB_PG_URL")
    backend="PostgreSQL database ferretdb"
  else
    [[ $FERRETDB_HANDLER == sqlite ]] || say "PostgreSQL is not available (${reason:-?}); FerretDB uses SQLite instead"
    mkdir -p "$LOCAL/ferretdb-sqlite"
    args+=(--handler=sqlite --sqlite-url="file:$LOCAL/ferretdb-sqlite/")
    backend="SQLite in .local/ferretdb-sqlite"
  fi
  mkdir -p "$LOCAL/ferretdb-state"
  echo "--- $(date -Is) starting FerretDB ${args[*]}" >>"$LOCAL/ferretdb.log"
  setsid nohup "$LOCAL/bin/ferretdb" "${args[@]}" </dev/null >>"$LOCAL/ferretdb.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$LOCAL/ferretdb.pid"

  local deadline=$((SECONDS + 30))
  until mongo_answers "$host" "$port"; do
    if ! running "$pid"; then
      tail -n 30 "$LOCAL/ferretdb.log" >&2
      die "FerretDB exited during start-up (log: .local/ferretdb.log)"
    fi
    ((SECONDS < deadline)) || die "FerretDB (pid $pid) does not answer on $listen after 30 s (log: .local/ferretdb.log)"
    sleep 0.3
  done
  say "started FerretDB (pid $pid) on $listen backed by $backend (log: .local/ferretdb.log; stop: kill \$(cat .local/ferretdb.pid))"
}

ensure_redis
ensure_nats
ensure_mongo
