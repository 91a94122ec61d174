#!/usr/bin/env bash
# Several hosts, one platform — on one machine. Each "host" is a Linux network namespace joined to a
# bridge (itself in a namespace) on 10.77.0.0/24, so every byte of traffic stays inside them:
#
#   ma-client 10.77.0.5   the load driver (bench/multihost.py)
#   ma-lb     10.77.0.10  nginx, upstream = both app hosts (nginx.conf.template)
#   ma-app1   10.77.0.11  gunicorn -c gunicorn.conf.py wsgi:app on :8000
#   ma-app2   10.77.0.12  gunicorn, same release, same environment
#   ma-worker 10.77.0.13  `flask jobs worker` (when the job engine, app/core/jobs.py, is present)
#   ma-db     10.77.0.20  PostgreSQL 15 (its own cluster in $MH_DIR/pg, not the machine's)
#   ma-redis  10.77.0.30  Redis, the job broker
#
# Usage (root):  topology.sh up | down | status | kill-app N | start-app N | stop|start redis|postgres|worker | env
#   MH_APP_ROOT (default: this checkout) is the copy of the code the hosts run;
#   MH_DIR (default instance/multihost) holds data, logs, pid files and academy.env;
#   MH_WORKERS / MH_THREADS set gunicorn's processes and threads per app host (default 2 / 4).
# `up` tears everything down again when any step fails; `down` is safe to repeat.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/deploy/multihost"
# The release the hosts run (default: this checkout); MH_APP_ROOT=/path runs another copy of the code
# with this checkout's .venv, e.g. an exported commit while the checkout is being edited.
APP="${MH_APP_ROOT:-$ROOT}"
VENV="$ROOT/.venv/bin"
MH_DIR="${MH_DIR:-$ROOT/instance/multihost}"
P="${MH_PREFIX:-ma}"
NET=10.77.0
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
HOSTS=(client lb app1 app2 worker db redis)
declare -A ADDR=([client]=5 [lb]=10 [app1]=11 [app2]=12 [worker]=13 [db]=20 [redis]=30)

log() { printf '[topology] %s\n' "$*" >&2; }
ns() { local host=$1; shift; ip netns exec "$P-$host" "$@"; }

require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "topology.sh needs root (network namespaces, nginx, PostgreSQL as user postgres)" >&2
    exit 2
  fi
  for tool in ip nginx redis-server runuser "$PGBIN/postgres"; do
    command -v "$tool" >/dev/null || {
      echo "missing $tool: apt-get install iproute2 nginx redis-server postgresql" >&2
      exit 2
    }
  done
}

# Start a long-running process in a host's namespace as its own process group; remember its pid.
spawn() {
  local host=$1 name=$2
  shift 2
  setsid ip netns exec "$P-$host" "$@" >>"$MH_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$MH_DIR/run/$name.pid"
}

wait_for() {
  local what=$1 tries=$2
  shift 2
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  log "$what did not come up; see $MH_DIR/logs/"
  return 1
}

network_up() {
  ip netns add "$P-br"
  ip -n "$P-br" link add br0 type bridge
  ip -n "$P-br" link set br0 up
  ip -n "$P-br" link set lo up
  for host in "${HOSTS[@]}"; do
    ip netns add "$P-$host"
    ip -n "$P-br" link add "v-$host" type veth peer name eth0 netns "$P-$host"
    ip -n "$P-br" link set "v-$host" master br0 up
    ip -n "$P-$host" addr add "$NET.${ADDR[$host]}/24" dev eth0
    ip -n "$P-$host" link set eth0 up
    ip -n "$P-$host" link set lo up
  done
}

postgres_up() {
  install -d -o postgres -g postgres -m 0700 "$MH_DIR/pg" "$MH_DIR/pgsock"
  printf '%s\n' "$PG_PASSWORD" >"$MH_DIR/run/pgpass" && chown postgres "$MH_DIR/run/pgpass"
  runuser -u postgres -- "$PGBIN/initdb" -D "$MH_DIR/pg" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$MH_DIR/run/pgpass" >>"$MH_DIR/logs/initdb.log"
  echo "host all all $NET.0/24 scram-sha-256" >>"$MH_DIR/pg/pg_hba.conf"
  postgres_start
  ns db runuser -u postgres -- "$PGBIN/psql" -q -h "$MH_DIR/pgsock" -U postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE academy LOGIN PASSWORD '$PG_PASSWORD'" -c "CREATE DATABASE academy OWNER academy" >/dev/null
}

postgres_start() {
  spawn db postgres runuser -u postgres -- "$PGBIN/postgres" -D "$MH_DIR/pg" \
    -c listen_addresses="$NET.20" -c port=5432 -c unix_socket_directories="$MH_DIR/pgsock" \
    -c max_connections=300 -c shared_buffers=256MB
  wait_for PostgreSQL 60 ns db runuser -u postgres -- "$PGBIN/pg_isready" -q -h "$NET.20" -p 5432
}

redis_up() {
  install -d -o redis -g redis -m 0750 "$MH_DIR/redis"
  redis_start
}

redis_start() {
  [ -n "${REDIS_PASSWORD:-}" ] || REDIS_PASSWORD=$(sed -n 's#^JOBS_BROKER_URL=redis://:\([^@]*\)@.*#\1#p' "$MH_DIR/academy.env")
  # The broker keeps queued jobs on disk (append-only file), so a restarted Redis still has them.
  spawn redis redis runuser -u redis -- redis-server --bind "$NET.30" --port 6379 --protected-mode no \
    --requirepass "$REDIS_PASSWORD" --dir "$MH_DIR/redis" --appendonly yes --save "" --daemonize no
  wait_for Redis 40 ns redis redis-cli -h "$NET.30" -a "$REDIS_PASSWORD" --no-auth-warning ping
}

write_env() {
  local secret
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  cat >"$MH_DIR/academy.env" <<EOF
APP_ENV=production
SECRET_KEY=$secret
DATABASE_URL=postgresql+psycopg://academy:$PG_PASSWORD@$NET.20:5432/academy
JOBS_BROKER_URL=redis://:$REDIS_PASSWORD@$NET.30:6379/0
UPLOAD_DIR=$MH_DIR/uploads
CONTENT_DIR=$APP
TRUST_PROXY=1
FORWARDED_ALLOW_IPS=$NET.10
SESSION_COOKIE_SECURE=0
WEB_CONCURRENCY=${MH_WORKERS:-2}
GUNICORN_THREADS=${MH_THREADS:-4}
PYTHONPATH=$APP
EOF
  chmod 0600 "$MH_DIR/academy.env"
  install -d -m 0750 "$MH_DIR/uploads" # one directory for both app hosts: the shared disk (NFS) of production
}

# Run a command in a host's namespace with the platform's environment, from the repository.
with_env() {
  local host=$1
  shift
  (cd "$APP" && set -a && . "$MH_DIR/academy.env" && set +a && ns "$host" "$@")
}

app_start() {
  local host="app$1"
  (
    cd "$APP"
    set -a && . "$MH_DIR/academy.env" && set +a
    export BIND="$NET.${ADDR[$host]}:8000"
    spawn "$host" "$host" "$VENV/gunicorn" -c gunicorn.conf.py wsgi:app
  )
  wait_for "$host" 120 ns client curl -fsS -o /dev/null --max-time 2 "http://$NET.${ADDR[$host]}:8000/healthz"
  log "$host serving on $NET.${ADDR[$host]}:8000 (pid $(cat "$MH_DIR/run/$host.pid"))"
}

nginx_up() {
  install -d "$MH_DIR/nginx/tmp"
  sed -e "s#@MH_DIR@#$MH_DIR#g" -e "s#@ROOT@#$APP#g" -e "s#@NET@#$NET#g" \
    "$HERE/nginx.conf.template" >"$MH_DIR/nginx/nginx.conf"
  ns lb nginx -t -q -p "$MH_DIR/nginx" -c "$MH_DIR/nginx/nginx.conf" -e "$MH_DIR/logs/nginx-error.log"
  spawn lb nginx nginx -p "$MH_DIR/nginx" -c "$MH_DIR/nginx/nginx.conf" -e "$MH_DIR/logs/nginx-error.log" \
    -g "daemon off;"
  wait_for nginx 40 ns client curl -fsS -o /dev/null --max-time 2 "http://$NET.10/healthz"
}

worker_up() {
  if [ ! -f "$APP/app/core/jobs.py" ]; then
    log "no job engine in this release (app/core/jobs.py): no worker started"
    return 0
  fi
  (
    cd "$APP"
    set -a && . "$MH_DIR/academy.env" && set +a
    spawn worker worker "$VENV/flask" --app wsgi jobs worker
  )
  sleep 1
  kill -0 "$(cat "$MH_DIR/run/worker.pid")" 2>/dev/null || {
    log "the job worker exited; see $MH_DIR/logs/worker.log"
    return 1
  }
  log "job worker running in $P-worker (pid $(cat "$MH_DIR/run/worker.pid"))"
}

schema_up() {
  # One `db upgrade` per release, from one host. While several branches of migrations are being merged
  # the history can have more than one head; the run then builds the schema from the models instead.
  if with_env app1 "$VENV/flask" --app wsgi db upgrade >>"$MH_DIR/logs/seed.log" 2>&1; then
    echo migrations >"$MH_DIR/run/schema"
  else
    log "flask db upgrade failed (see logs/seed.log); building the schema with db.create_all()"
    with_env app1 "$VENV/python" -c \
      'from app import create_app; from app.extensions import db; app = create_app(); app.app_context().push(); db.create_all()' \
      >>"$MH_DIR/logs/seed.log" 2>&1
    echo create_all >"$MH_DIR/run/schema"
  fi
  with_env app1 "$VENV/flask" --app wsgi content load >>"$MH_DIR/logs/seed.log" 2>&1
}

kill_group() {
  local name=$1 signal=${2:-TERM} pid
  [ -f "$MH_DIR/run/$name.pid" ] || return 0
  pid=$(cat "$MH_DIR/run/$name.pid")
  kill "-$signal" -- "-$pid" 2>/dev/null || true
}

down() {
  [ -d "$MH_DIR/run" ] && for name in nginx app1 app2 worker redis; do kill_group "$name" TERM; done
  if [ -f "$MH_DIR/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" stop -s -D "$MH_DIR/pg" -m fast -t 20 >/dev/null 2>&1 || true
  fi
  sleep 1
  # Anything still running inside our namespaces was started by this script: end it by its pid.
  for host in "${HOSTS[@]}" br; do
    if ip netns list | grep -qw "$P-$host"; then
      for pid in $(ip netns pids "$P-$host" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    fi
  done
  for host in "${HOSTS[@]}" br; do
    ip netns list | grep -qw "$P-$host" && ip netns del "$P-$host"
  done
  if [ "${MH_KEEP:-0}" != 1 ]; then
    rm -rf "$MH_DIR"
  fi
  log "down"
}

up() {
  if ip netns list | grep -qw "$P-br"; then
    echo "namespace $P-br exists: a topology is already up (topology.sh down first)" >&2
    exit 1
  fi
  trap 'rc=$?; if [ "$rc" != 0 ]; then log "up failed; tearing down (logs kept in $MH_DIR)"; MH_KEEP=1 down; fi' EXIT
  rm -rf "$MH_DIR"
  install -d -m 0755 "$MH_DIR" "$MH_DIR/logs" "$MH_DIR/run"
  PG_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  REDIS_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  network_up
  postgres_up
  redis_up
  write_env
  schema_up
  app_start 1
  app_start 2
  nginx_up
  worker_up
  trap - EXIT
  log "up: nginx http://$NET.10/ -> app1 $NET.11:8000, app2 $NET.12:8000; PostgreSQL $NET.20; Redis $NET.30"
}

status() {
  for name in nginx app1 app2 worker redis; do
    if [ -f "$MH_DIR/run/$name.pid" ] && kill -0 "$(cat "$MH_DIR/run/$name.pid")" 2>/dev/null; then
      echo "$name running (pid $(cat "$MH_DIR/run/$name.pid"))"
    else
      echo "$name stopped"
    fi
  done
  if [ -f "$MH_DIR/pg/postmaster.pid" ]; then echo "postgres running"; else echo "postgres stopped"; fi
}

require_root
case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill-app) kill_group "app${2:?which app host: 1 or 2}" KILL ;;
  start-app) app_start "${2:?which app host: 1 or 2}" ;;
  stop)  # stop one part to see what the others do: redis, postgres or worker
    case "${2:-}" in
      postgres) runuser -u postgres -- "$PGBIN/pg_ctl" stop -s -D "$MH_DIR/pg" -m fast ;;
      redis | worker) kill_group "$2" TERM ;;
      *) echo "stop redis|postgres|worker" >&2 && exit 2 ;;
    esac
    ;;
  start)
    case "${2:-}" in
      postgres) postgres_start ;;
      redis) redis_start ;;
      worker) worker_up ;;
      *) echo "start redis|postgres|worker" >&2 && exit 2 ;;
    esac
    ;;
  env) cat "$MH_DIR/academy.env" ;;
  *)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
